// Fan-out between server processes. One process uses the in-process map of topics below; a
// cluster uses Redis (cluster/redis-broker.ts) behind the same interface.
import type { Disposable } from '../shared/lifecycle.js';
import type { EventName } from '../shared/protocol.js';

/**
 * One event, already serialized. Everything here is plain data so that a networked broker can
 * carry it as is; `frame` is the exact text every recipient connection is sent.
 */
export interface EventMessage {
  event: EventName;
  /** The conversation key the event belongs to, for per-connection `rooms` filters. */
  room?: string;
  /** Deliver to this connection only (rtc signals). */
  cid?: string;
  /** Set on the admin `/presence` feed's copy, so a feed subscriber is not told twice. */
  feed?: boolean;
  /**
   * For the stored events of a conversation (`message:send`, `…:updated`, `…:removed`): their
   * seq. A connection being attached drops what its resume replay already carried by it, and a
   * node behind a lossy broker orders, de-duplicates and gap-fills each (topic, room) by it.
   */
  seq?: number;
  /** With `seq`: the conversation's id in the store, for the cluster's published-head record. */
  conv?: string;
  frame: string;
  ctl?: undefined;
}

/**
 * Messages between the nodes of a cluster, never sent to a client as such.
 * - `head`: the conversation `room` (on this topic) has events up to `seq`: a node behind fills
 *   the gap from the store (the repair loop and duplicate posts send these).
 * - `listen` / `unlisten`: the user of this `u:` topic joined or left `group`; every node moves
 *   that user's connections. A join carries `frame` (the `group:member` event, published before
 *   they listened) and `seq`, the group's head at the join, replayed from.
 * - `drain`: the user of this `u:` topic has queued notifications; the node of one of their
 *   connections takes and delivers them.
 * - `presence` (on the `cluster` topic every server listens to): a presence change, once for the
 *   whole cluster, with the users who may see it; each server hands `frame` to its own
 *   connections of those users (one Redis message per change, not one per contact).
 */
export type ControlMessage =
  | { ctl: 'head'; room: string; seq: number }
  | { ctl: 'listen'; group: string; seq: number; frame: string }
  /** `private`: the group is private, so a subscription to it ends with membership (F1). */
  | { ctl: 'unlisten'; group: string; private?: boolean }
  | { ctl: 'drain' }
  /** A token of the user was revoked (one, by jti, or all of them): its connections end (F9). */
  | { ctl: 'revoked'; jti?: string }
  | { ctl: 'presence'; users: string[]; frame: string };

export type BrokerMessage = EventMessage | ControlMessage;

export type { Disposable } from '../shared/lifecycle.js';

export interface Subscription extends Disposable {
  /** Resolves once the broker delivers the topic's messages (Redis acknowledged SUBSCRIBE). */
  readonly ready: Promise<void>;
}

export interface Broker {
  /**
   * True when every message published reaches every subscriber, once and in publish order (one
   * process). False for a networked broker, which may lose messages: the local fan-out then
   * orders and gap-fills stored events by seq.
   */
  readonly lossless: boolean;
  publish(topic: string, message: BrokerMessage): void;
  /** One handler per topic per process is expected; the local fan-out multiplexes. */
  subscribe(topic: string, handler: (message: BrokerMessage) => void): Subscription;
  /** Called when messages may have been lost (a reconnect, a failed canary): time to resync. */
  onResync(listener: () => void): Disposable;
  close(): Promise<void>;
}

/** Topic names used by the hub. */
export const topics = {
  group: (name: string) => `g:${name}`,
  user: (userId: string) => `u:${userId}`,
  presence: 'presence',
  metrics: 'metrics',
  /** Cluster-wide control messages every server listens to. */
  cluster: 'cluster',
} as const;

const READY = Promise.resolve();

export class InProcessBroker implements Broker {
  readonly lossless = true;
  private readonly handlers = new Map<string, Set<(message: BrokerMessage) => void>>();

  publish(topic: string, message: BrokerMessage): void {
    const set = this.handlers.get(topic);
    if (!set) return;
    for (const handler of set) handler(message);
  }

  subscribe(topic: string, handler: (message: BrokerMessage) => void): Subscription {
    let set = this.handlers.get(topic);
    if (!set) {
      set = new Set();
      this.handlers.set(topic, set);
    }
    set.add(handler);
    return {
      ready: READY,
      dispose: () => {
        const current = this.handlers.get(topic);
        if (!current) return;
        current.delete(handler);
        if (current.size === 0) this.handlers.delete(topic);
      },
    };
  }

  onResync(): Disposable {
    return { dispose: () => undefined };
  }

  topicCount(): number {
    return this.handlers.size;
  }

  async close(): Promise<void> {
    this.handlers.clear();
  }
}
