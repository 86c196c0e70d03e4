// Ordering one topic's stored events behind a lossy broker. Redis pub/sub delivers at most once,
// and two nodes' publishes can cross, so a node keeps, per (topic, conversation), the last seq
// it delivered: an older seq is a duplicate and is dropped, the next one goes out, and a later
// one waits briefly for the missing ones (usually in flight from another node) before they are
// read from the store. A seq that exists means every lower one is committed (store.ts), so the
// store can always fill the gap. Events without a seq (typing, presence, rtc) pass straight on.
import type { EventMessage } from './broker.js';

/** What the sequencer needs of the store, seen through topics and rooms. */
export interface StreamSource {
  /** The last seq of each conversation this topic carries, by room. */
  heads(topic: string): Promise<Map<string, number>>;
  /** The stored events of `room` on `topic` after `seq`, as live delivery carries them. */
  eventsAfter(topic: string, room: string, seq: number, limit: number): Promise<EventMessage[]>;
}

export interface SequencerOptions {
  /** How long a later event waits for the missing ones before the store is asked (ms). */
  holdMs: number;
  /** A gap that cannot be filled in this long, or this many waiting events, gives up. */
  stuckMs: number;
  stuckEvents: number;
  /** Gives up on the topic's listeners: they reconnect and resume by seq. */
  onStuck(): void;
  onError(err: unknown): void;
}

interface Stream {
  cursor: number;
  /** The highest seq another node said exists (head hints, resync): filled up to at least it. */
  known: number;
  waiting: Map<number, EventMessage>;
  /** When the oldest waiting event arrived. */
  since: number;
  timer: NodeJS.Timeout | undefined;
  filling: boolean;
}

const FILL_PAGE = 500;

export class TopicSequencer {
  private readonly streams = new Map<string, Stream>();
  /** Stored events that arrived before the head snapshot; null once it is taken. */
  private early: EventMessage[] | null = [];
  private disposed = false;

  constructor(
    private readonly topic: string,
    private readonly source: StreamSource,
    private readonly deliver: (message: EventMessage) => void,
    private readonly opts: SequencerOptions,
  ) {}

  /** Takes the head snapshot; called once the broker delivers the topic. */
  async start(): Promise<void> {
    const heads = await this.source.heads(this.topic);
    if (this.disposed) return;
    for (const [room, seq] of heads) this.stream(room).cursor = seq;
    const early = this.early ?? [];
    this.early = null;
    for (const message of early) this.push(message);
  }

  push(message: EventMessage): void {
    if (this.disposed) return;
    if (message.seq === undefined || message.room === undefined) {
      this.deliver(message);
      return;
    }
    if (this.early) {
      this.early.push(message);
      return;
    }
    const s = this.stream(message.room);
    if (message.seq <= s.cursor) return;
    if (!s.filling && message.seq === s.cursor + 1) {
      this.advance(s, message);
      this.flush(s);
      return;
    }
    if (s.waiting.size === 0) s.since = Date.now();
    s.waiting.set(message.seq, message);
    if (s.waiting.size > this.opts.stuckEvents) {
      this.giveUp(s);
      return;
    }
    if (!s.filling && !s.timer) {
      s.timer = setTimeout(() => this.fill(message.room!, s), this.opts.holdMs);
    }
  }

  /** Another node says `room` has events up to `seq` here. */
  head(room: string, seq: number): void {
    if (this.disposed || this.early) return;
    const s = this.stream(room);
    if (seq <= s.cursor) return;
    if (s.known <= s.cursor && s.waiting.size === 0) s.since = Date.now();
    s.known = Math.max(s.known, seq);
    if (!s.filling) this.fill(room, s);
  }

  /** Messages may have been lost: compare every cursor with the store and fill. */
  async resync(): Promise<void> {
    if (this.disposed || this.early) return;
    const heads = await this.source.heads(this.topic);
    for (const [room, seq] of heads) this.head(room, seq);
  }

  dispose(): void {
    this.disposed = true;
    for (const s of this.streams.values()) clearTimeout(s.timer);
    this.streams.clear();
  }

  private stream(room: string): Stream {
    let s = this.streams.get(room);
    if (!s) {
      // A conversation first seen after the snapshot was created after it: it starts at 0.
      s = { cursor: 0, known: 0, waiting: new Map(), since: 0, timer: undefined, filling: false };
      this.streams.set(room, s);
    }
    return s;
  }

  private advance(s: Stream, message: EventMessage): void {
    s.cursor = message.seq!;
    this.deliver(message);
  }

  /** Delivers the waiting events that follow the cursor without a gap. */
  private flush(s: Stream): void {
    for (const seq of s.waiting.keys()) if (seq <= s.cursor) s.waiting.delete(seq);
    let next = s.waiting.get(s.cursor + 1);
    while (next) {
      s.waiting.delete(next.seq!);
      this.advance(s, next);
      next = s.waiting.get(s.cursor + 1);
    }
    if (s.waiting.size === 0) {
      clearTimeout(s.timer);
      s.timer = undefined;
    }
  }

  private fill(room: string, s: Stream): void {
    clearTimeout(s.timer);
    s.timer = undefined;
    if (s.filling || this.disposed) return;
    s.filling = true;
    void this.fillFromStore(room, s)
      .catch((err: unknown) => {
        this.opts.onError(err);
        if (this.behind(s) && Date.now() - s.since > this.opts.stuckMs) this.giveUp(s);
      })
      .finally(() => {
        s.filling = false;
        if (this.disposed || this.streams.get(room) !== s) return;
        this.flush(s);
        // Still a gap (the store failed, or more arrived meanwhile): try again shortly.
        if (this.behind(s) && !s.timer) {
          s.timer = setTimeout(() => this.fill(room, s), this.opts.holdMs * 4);
        }
      });
  }

  private async fillFromStore(room: string, s: Stream): Promise<void> {
    for (let page = 0; page < 100; page++) {
      const events = await this.source.eventsAfter(this.topic, room, s.cursor, FILL_PAGE);
      if (this.disposed) return;
      // The store keeps each message's latest state (an edit or removal replaces the send),
      // so the seqs it returns may skip: everything up to the last one is covered all the same.
      for (const e of events) if (e.seq! > s.cursor) this.advance(s, e);
      this.flush(s);
      if (events.length < FILL_PAGE) return;
    }
  }

  private behind(s: Stream): boolean {
    return s.waiting.size > 0 || s.known > s.cursor;
  }

  /** Past the limits: the listeners resume from the store themselves; start over from here. */
  private giveUp(s: Stream): void {
    const last = Math.max(s.cursor, s.known, ...s.waiting.keys());
    s.waiting.clear();
    clearTimeout(s.timer);
    s.timer = undefined;
    s.cursor = last;
    this.opts.onStuck();
  }
}
