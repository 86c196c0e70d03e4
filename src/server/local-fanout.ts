// This process's side of the broker: which local connections listen to which topic. It holds one
// broker subscription per topic with at least one local listener, and turns each message's frame
// into bytes once, however many connections it goes to.
import type { Broker, BrokerMessage, Disposable } from './broker.js';

export interface Recipient {
  deliver(message: BrokerMessage, bytes: Buffer): void;
}

export class LocalFanout {
  private readonly listeners = new Map<string, { set: Set<Recipient>; sub: Disposable }>();
  /** One message published to many topics (presence) is still encoded once. */
  private readonly encoded = new WeakMap<BrokerMessage, Buffer>();

  constructor(private readonly broker: Broker) {}

  add(topic: string, recipient: Recipient): void {
    let entry = this.listeners.get(topic);
    if (!entry) {
      const set = new Set<Recipient>();
      const sub = this.broker.subscribe(topic, (message) => this.dispatch(set, message));
      entry = { set, sub };
      this.listeners.set(topic, entry);
    }
    entry.set.add(recipient);
  }

  remove(topic: string, recipient: Recipient): void {
    const entry = this.listeners.get(topic);
    if (!entry) return;
    entry.set.delete(recipient);
    if (entry.set.size === 0) {
      entry.sub.dispose();
      this.listeners.delete(topic);
    }
  }

  topicCount(): number {
    return this.listeners.size;
  }

  dispose(): void {
    for (const { sub } of this.listeners.values()) sub.dispose();
    this.listeners.clear();
  }

  private dispatch(set: Set<Recipient>, message: BrokerMessage): void {
    let bytes = this.encoded.get(message);
    if (!bytes) {
      bytes = Buffer.from(message.frame);
      this.encoded.set(message, bytes);
    }
    for (const recipient of set) recipient.deliver(message, bytes);
  }
}
