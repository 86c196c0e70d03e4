// Fan-out between server processes. Today one process, so the broker is a map of topics; a
// Redis or NATS backplane implements the same interface and the hub does not change.
import type { EventName } from '../shared/protocol.js';

/**
 * One event, already serialized. Everything here is plain data so that a networked broker can
 * carry it as is; `frame` is the exact text every recipient connection is sent.
 */
export interface BrokerMessage {
  event: EventName;
  /** The conversation key the event belongs to, for per-connection `rooms` filters. */
  room?: string;
  /** Deliver to this connection only (rtc signals). */
  cid?: string;
  /** Set on the admin `/presence` feed's copy, so a feed subscriber is not told twice. */
  feed?: boolean;
  /**
   * For the stored events of a conversation (`message:send`, `…:updated`, `…:removed`): their
   * seq, by which a connection being attached drops what its resume replay already carried.
   */
  seq?: number;
  frame: string;
}

export interface Disposable {
  dispose(): void;
}

export interface Broker {
  publish(topic: string, message: BrokerMessage): void;
  /** One handler per topic per process is expected; the local fan-out multiplexes. */
  subscribe(topic: string, handler: (message: BrokerMessage) => void): Disposable;
  close(): Promise<void>;
}

/** Topic names used by the hub. */
export const topics = {
  group: (name: string) => `g:${name}`,
  user: (userId: string) => `u:${userId}`,
  presence: 'presence',
  metrics: 'metrics',
} as const;

export class InProcessBroker implements Broker {
  private readonly handlers = new Map<string, Set<(message: BrokerMessage) => void>>();

  publish(topic: string, message: BrokerMessage): void {
    const set = this.handlers.get(topic);
    if (!set) return;
    for (const handler of set) handler(message);
  }

  subscribe(topic: string, handler: (message: BrokerMessage) => void): Disposable {
    let set = this.handlers.get(topic);
    if (!set) {
      set = new Set();
      this.handlers.set(topic, set);
    }
    set.add(handler);
    return {
      dispose: () => {
        const current = this.handlers.get(topic);
        if (!current) return;
        current.delete(handler);
        if (current.size === 0) this.handlers.delete(topic);
      },
    };
  }

  topicCount(): number {
    return this.handlers.size;
  }

  async close(): Promise<void> {
    this.handlers.clear();
  }
}
