// What a connection sends: live events (held while it resumes, then released less what the
// replay carried), replies, the unsent-bytes limit, and write batching by corking.
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { CloseCode } from '../../shared/protocol.js';
import type { EventMessage } from '../broker.js';
import { textFrame } from '../ws-frame.js';

export type ConnState = 'new' | 'authenticating' | 'open' | 'closed';

/** What the outgoing side needs of its connection. */
export interface OutboundPort {
  readonly ws: WebSocket;
  readonly socket: Socket;
  readonly maxBufferedBytes: number;
  state(): ConnState;
  close(code: number, reason: string): void;
  /** The hub's counters: one delivery per event written. */
  readonly stats: { deliveries: number };
}

/**
 * Write batching: a socket is corked at its first frame in a turn of the event loop and uncorked
 * once the turn's I/O is done, so a burst of frames to one client leaves in one writev instead of
 * one syscall each. This is most of the cost of fan-out. ws corks around its own two-part writes;
 * cork() nests, so those stay inside ours.
 */
const corked: Outbound[] = [];

function flushCorked(): void {
  for (const out of corked.splice(0)) out.uncork();
}

export class Outbound {
  /** Live deliveries held while the connection is attached (see Hub.attach). */
  private held: { message: EventMessage; bytes: Buffer }[] | undefined;
  private heldBytes = 0;
  /** Nested holds (an attach and a join's replay) release together, with all they replayed. */
  private holds = 0;
  private heldReplayed = new Map<string, number>();
  /**
   * Per conversation, the seq a replay sent this connection up to, until a live event passes it:
   * behind a lossy broker the node's stream of a conversation can lag the store the replay read,
   * and its events up to there would otherwise arrive a second time (after the release too).
   */
  private readonly floors = new Map<string, number>();
  /** Bytes written since this socket was corked in the current turn (not yet offered to the kernel). */
  private corkedBytes = -1;
  /** Event bytes written in the current corked turn (they get that turn's grace). */
  private turnEventBytes = 0;
  private readingPaused = false;
  // Copied out of the port: every event to every socket passes here (the fan-out's hot path).
  private readonly ws: WebSocket;
  private readonly socket: Socket;
  private readonly maxBufferedBytes: number;
  private readonly stats: { deliveries: number };

  constructor(private readonly port: OutboundPort) {
    this.ws = port.ws;
    this.socket = port.socket;
    this.maxBufferedBytes = port.maxBufferedBytes;
    this.stats = port.stats;
  }

  get holding(): boolean {
    return this.held !== undefined;
  }

  /** A live event that passed the connection's filters: held, dropped as replayed, or sent. */
  offer(message: EventMessage, bytes: Buffer): void {
    if (this.held) {
      // Held events are filtered at release, against everything replayed by then.
      this.heldBytes += bytes.length;
      if (this.heldBytes > this.maxBufferedBytes) {
        this.port.close(CloseCode.SLOW_CONSUMER, 'too much arrived while resuming');
        return;
      }
      this.held.push({ message, bytes });
      return;
    }
    if (this.belowFloor(message)) return;
    this.sendEvent(bytes);
  }

  /** Whether a replay already sent this stored event; a later one lifts the floor. */
  private belowFloor(message: EventMessage): boolean {
    if (this.floors.size === 0 || message.seq === undefined || message.room === undefined) {
      return false;
    }
    const floor = this.floors.get(message.room);
    if (floor === undefined) return false;
    if (message.seq <= floor) return true;
    this.floors.delete(message.room);
    return false;
  }

  hold(): void {
    this.holds++;
    this.held ??= [];
  }

  release(replayed: ReadonlyMap<string, number>): void {
    for (const [room, seq] of replayed) {
      this.heldReplayed.set(room, Math.max(seq, this.heldReplayed.get(room) ?? 0));
    }
    this.holds = Math.max(0, this.holds - 1);
    if (this.holds > 0) return;
    const held = this.held ?? [];
    for (const [room, seq] of this.heldReplayed) {
      this.floors.set(room, Math.max(seq, this.floors.get(room) ?? 0));
    }
    this.held = undefined;
    this.heldBytes = 0;
    this.heldReplayed = new Map();
    for (const { message, bytes } of held) {
      // Already sent by the replay: the same seq of the same conversation.
      if (this.belowFloor(message)) continue;
      if (this.port.state() !== 'open') return;
      this.sendEvent(bytes);
    }
  }

  sendEvent(bytes: Buffer): void {
    if (!this.write(bytes, true)) return;
    this.stats.deliveries++;
  }

  sendJson(frame: object): void {
    if (this.port.state() === 'closed') return;
    this.write(JSON.stringify(frame), false);
  }

  /**
   * Every frame to the client goes through here, replies as well as events (review H3: replies
   * once bypassed the limit, and a client that sent requests without reading grew the server by
   * hundreds of MB). Counted against `maxBufferedBytes`: everything the kernel has not taken,
   * less the events fanned out in this same turn (a burst of live messages is not the client's
   * fault; the next turn counts them). Over the limit closes 4031. Past half of it the server
   * stops reading the client's frames until its queue drains, so a client that pipelines
   * requests slows down instead of being cut off.
   */
  private write(data: Buffer | string, isEvent: boolean): boolean {
    const { ws, socket, maxBufferedBytes } = this;
    const length = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    const unsent = ws.bufferedAmount - this.turnEventBytes;
    if (unsent + length > maxBufferedBytes) {
      this.port.close(CloseCode.SLOW_CONSUMER, 'too much unsent data: the client is not reading');
      return false;
    }
    if (this.corkedBytes < 0) {
      this.corkedBytes = 0;
      this.turnEventBytes = 0;
      socket.cork();
      if (corked.push(this) === 1) setImmediate(flushCorked);
    }
    this.corkedBytes += length;
    if (isEvent) this.turnEventBytes += length;
    if (isEvent && typeof data !== 'string' && ws.readyState === ws.OPEN) {
      // Framed once for every socket it goes to (ws-frame.ts). Written under ws: with
      // permessage-deflate off, ws.send writes a frame straight to the socket as well, so frames
      // never interleave, and ws counts these bytes in bufferedAmount all the same.
      socket.write(textFrame(data));
    } else {
      ws.send(data, { binary: false });
    }
    if (!this.readingPaused && unsent + length > maxBufferedBytes / 2) this.pauseReading();
    return true;
  }

  /** Stops reading the client's frames until what was written to it has drained. */
  private pauseReading(): void {
    this.readingPaused = true;
    this.ws.pause();
    this.socket.once('drain', () => {
      this.readingPaused = false;
      if (this.port.state() !== 'closed') this.ws.resume();
    });
  }

  uncork(): void {
    this.corkedBytes = -1;
    this.turnEventBytes = 0;
    this.socket.uncork();
  }
}
