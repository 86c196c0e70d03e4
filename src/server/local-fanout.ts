// This process's side of the broker: which local connections listen to which topic. It holds one
// broker subscription per topic with at least one local listener, and turns each message's frame
// into bytes once, however many connections it goes to. Behind a lossy broker (a cluster) each
// topic's stored events go through a sequencer first (sequencer.ts).
import type { Broker, ControlMessage, EventMessage, Subscription } from './broker.js';
import { TopicSequencer, type StreamSource } from './sequencer.js';

export interface Recipient {
  deliver(message: EventMessage, bytes: Buffer): void;
}

export interface FanoutOptions {
  /** Needed with a lossy broker: where missing events are read from. */
  source?: StreamSource;
  /** Cluster control messages (broker.ts), with the topic they came on. */
  onControl?(topic: string, message: ControlMessage): void;
  /** A gap could not be filled: these listeners must resume by themselves. */
  onStuck?(recipients: Recipient[]): void;
  onError?(err: unknown, what: string): void;
  holdMs?: number;
}

interface Entry {
  set: Set<Recipient>;
  sub: Subscription;
  /** Resolves once the topic's messages flow and, behind a lossy broker, its heads are known. */
  ready: Promise<void>;
  sequencer: TopicSequencer | undefined;
}

export class LocalFanout {
  private readonly listeners = new Map<string, Entry>();
  /** One message published to many topics (presence) is still encoded once. */
  private readonly encoded = new WeakMap<EventMessage, Buffer>();
  private readonly resyncSub;

  constructor(
    private readonly broker: Broker,
    private readonly opts: FanoutOptions = {},
  ) {
    if (!broker.lossless && !opts.source) {
      throw new Error('a lossy broker needs a stream source to fill gaps from');
    }
    this.resyncSub = broker.onResync(() => this.resync());
  }

  /** Adds a listener; the promise resolves when the topic's events reach it. */
  add(topic: string, recipient: Recipient): Promise<void> {
    let entry = this.listeners.get(topic);
    if (!entry) entry = this.open(topic);
    entry.set.add(recipient);
    return entry.ready;
  }

  remove(topic: string, recipient: Recipient): void {
    const entry = this.listeners.get(topic);
    if (!entry) return;
    entry.set.delete(recipient);
    if (entry.set.size === 0) {
      entry.sub.dispose();
      entry.sequencer?.dispose();
      this.listeners.delete(topic);
    }
  }

  /** Whether any local connection listens to the topic. */
  has(topic: string): boolean {
    return this.listeners.has(topic);
  }

  topicCount(): number {
    return this.listeners.size;
  }

  dispose(): void {
    this.resyncSub.dispose();
    for (const { sub, sequencer } of this.listeners.values()) {
      sub.dispose();
      sequencer?.dispose();
    }
    this.listeners.clear();
  }

  private open(topic: string): Entry {
    const set = new Set<Recipient>();
    const { source } = this.opts;
    const sequencer =
      this.broker.lossless || !source
        ? undefined
        : new TopicSequencer(topic, source, (m) => this.dispatch(set, m), {
            holdMs: this.opts.holdMs ?? 50,
            stuckMs: 5_000,
            stuckEvents: 1_000,
            onStuck: () => this.opts.onStuck?.([...set]),
            onError: (err) => this.opts.onError?.(err, `filling a gap on ${topic}`),
          });
    const sub = this.broker.subscribe(topic, (message) => {
      if (message.ctl !== undefined) {
        if (message.ctl === 'head') sequencer?.head(message.room, message.seq);
        else this.opts.onControl?.(topic, message);
      } else if (sequencer) sequencer.push(message);
      else this.dispatch(set, message);
    });
    const ready = sequencer ? sub.ready.then(() => sequencer.start()) : sub.ready;
    const entry: Entry = { set, sub, ready, sequencer };
    // A topic whose heads could not be read is dropped, listeners and all (they are told to
    // reconnect): the next listener opens it afresh rather than waiting on a dead entry.
    ready.catch((err: unknown) => {
      this.opts.onError?.(err, `subscribing to ${topic}`);
      if (this.listeners.get(topic) !== entry) return;
      this.listeners.delete(topic);
      sub.dispose();
      sequencer?.dispose();
      this.opts.onStuck?.([...set]);
    });
    this.listeners.set(topic, entry);
    return entry;
  }

  private resync(): void {
    for (const [topic, { sequencer }] of this.listeners) {
      void sequencer
        ?.resync()
        .catch((err: unknown) => this.opts.onError?.(err, `resyncing ${topic}`));
    }
  }

  private dispatch(set: Set<Recipient>, message: EventMessage): void {
    let bytes = this.encoded.get(message);
    if (!bytes) {
      bytes = Buffer.from(message.frame);
      this.encoded.set(message, bytes);
    }
    for (const recipient of set) recipient.deliver(message, bytes);
  }
}
