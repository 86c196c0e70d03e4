// The cluster's broker: Redis pub/sub between server processes. Redis delivers at most once and
// may drop a subscriber, so nothing here is trusted to be complete: stored events carry their
// seq and each node orders and gap-fills them from the store (sequencer.ts), and this broker
// says when to resync: after every reconnect of its subscriber connection, and when its own
// canary (a message to itself every half second) stops coming back for 2.5 s, which catches a
// subscription that is up but delivers nothing (Centrifugo #1189, Rocket.Chat #19905).
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Broker, BrokerMessage, Disposable, Subscription } from '../broker.js';

export interface RedisBrokerOptions {
  /** Commands (PUBLISH and the published-head script); shared with the registry. */
  redis: Redis;
  /** A connection of its own, in subscriber mode. */
  subscriber: Redis;
  nodeId: string;
  /** Added to every channel name (the cluster's name): Redis channels ignore keyPrefix. */
  channelPrefix: string;
  canaryEveryMs?: number;
  /** No canary back for this long: the subscription is forced to reconnect. */
  canaryTimeoutMs?: number;
  onError(err: unknown, what: string): void;
  /** Said when the subscription is started over (canary lost, reconnect). */
  onNotice(message: string): void;
  /** Test failpoint: after this long, incoming messages are dropped until a reconnect. */
  wedgeAfterMs?: number;
  /** Test failpoint: every incoming message is handled this much later (a slow link). */
  delayMs?: number;
}

/** How long a conversation's published head is remembered; the repair loop looks 60 s back. */
const PUBHEAD_TTL_MS = 5 * 60_000;

const PUBLISH_WITH_HEAD = `
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[3]) > cur then redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4]) end
return redis.call('PUBLISH', ARGV[1], ARGV[2])`;

export const pubheadKey = (conv: string) => `ph:${conv}`;

/** origin TAB header-json TAB frame: the frame (JSON text, no raw tabs) is not escaped again. */
function encode(origin: string, message: BrokerMessage): string {
  if (message.ctl !== undefined) return `${origin}\t${JSON.stringify(message)}\t`;
  const { frame, ...head } = message;
  return `${origin}\t${JSON.stringify(head)}\t${frame}`;
}

function decode(payload: string): { origin: string; message: BrokerMessage } | undefined {
  const a = payload.indexOf('\t');
  const b = a < 0 ? -1 : payload.indexOf('\t', a + 1);
  if (b < 0) return undefined;
  const head = JSON.parse(payload.slice(a + 1, b)) as BrokerMessage;
  const message = head.ctl !== undefined ? head : { ...head, frame: payload.slice(b + 1) };
  return { origin: payload.slice(0, a), message };
}

export class RedisBroker implements Broker {
  readonly lossless = false;
  private readonly handlers = new Map<string, (message: BrokerMessage) => void>();
  private readonly resyncListeners = new Set<() => void>();
  private readonly canaryChannel: string;
  private readonly ownOrigin: string;
  private readonly canaryTimer: NodeJS.Timeout;
  private lastCanary = Date.now();
  private canaryOk = true;
  private wedged = false;
  private everReady = false;
  private closed = false;
  private readonly wedgeTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: RedisBrokerOptions) {
    const { redis, subscriber, nodeId } = opts;
    redis.defineCommand('publishWithHead', { numberOfKeys: 1, lua: PUBLISH_WITH_HEAD });
    this.canaryChannel = `${opts.channelPrefix}n:${nodeId}`;
    this.ownOrigin = `${nodeId}\t`;
    // Connected already (cluster.ts awaits it): every 'ready' from now on is a reconnect.
    this.everReady = subscriber.status === 'ready';
    const skip = opts.channelPrefix.length;
    subscriber.on('message', (channel: string, payload: string) =>
      this.receive(channel, channel.slice(skip), payload),
    );
    subscriber.on('ready', () => {
      if (!this.everReady) {
        this.everReady = true;
        return;
      }
      void this.afterReconnect();
    });
    void subscriber
      .subscribe(this.canaryChannel)
      .catch((err: unknown) => opts.onError(err, 'subscribing the canary'));
    const every = opts.canaryEveryMs ?? 500;
    const timeout = opts.canaryTimeoutMs ?? 2500;
    const token = randomBytes(4).toString('hex');
    this.canaryTimer = setInterval(() => {
      void redis.publish(this.canaryChannel, token).catch(() => undefined);
      if (Date.now() - this.lastCanary > timeout && subscriber.status === 'ready') {
        // Connected, subscribed, and yet nothing arrives: start the subscription over.
        this.canaryOk = false;
        this.lastCanary = Date.now();
        opts.onNotice(`no canary back for ${timeout} ms: reconnecting the Redis subscription`);
        subscriber.disconnect(true);
      }
    }, every);
    this.canaryTimer.unref();
    if (opts.wedgeAfterMs !== undefined) {
      this.wedgeTimer = setTimeout(() => (this.wedged = true), opts.wedgeAfterMs);
      this.wedgeTimer.unref();
    }
  }

  /** False while the canary is missing (for /healthz). */
  healthy(): boolean {
    return this.canaryOk && this.opts.subscriber.status === 'ready';
  }

  publish(topic: string, message: BrokerMessage): void {
    // This node's own listeners at once; Redis' echo of it is ignored by origin.
    this.handlers.get(topic)?.(message);
    const payload = encode(this.opts.nodeId, message);
    const { redis } = this.opts;
    const sent =
      message.ctl === undefined && message.seq !== undefined && message.conv !== undefined
        ? (
            redis as Redis & {
              publishWithHead(
                k: string,
                ch: string,
                p: string,
                s: number,
                t: number,
              ): Promise<number>;
            }
          ).publishWithHead(
            pubheadKey(message.conv),
            this.opts.channelPrefix + topic,
            payload,
            message.seq,
            PUBHEAD_TTL_MS,
          )
        : redis.publish(this.opts.channelPrefix + topic, payload);
    sent.catch((err: unknown) => {
      // Lost for the other nodes: stored events come back through their resync and the repair
      // loop; typing and presence are fire-and-forget anyway.
      this.opts.onError(err, `publishing to ${topic}`);
    });
  }

  subscribe(topic: string, handler: (message: BrokerMessage) => void): Subscription {
    this.handlers.set(topic, handler);
    const channel = this.opts.channelPrefix + topic;
    const ready = this.opts.subscriber.subscribe(channel).then(() => undefined);
    return {
      ready,
      dispose: () => {
        if (this.handlers.get(topic) !== handler) return;
        this.handlers.delete(topic);
        void this.opts.subscriber.unsubscribe(channel).catch(() => undefined);
      },
    };
  }

  onResync(listener: () => void): Disposable {
    this.resyncListeners.add(listener);
    return { dispose: () => this.resyncListeners.delete(listener) };
  }

  /** Makes the listeners compare with the store now. */
  private resync(): void {
    for (const listener of this.resyncListeners) listener();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.canaryTimer);
    clearTimeout(this.wedgeTimer);
    this.handlers.clear();
  }

  private receive(channel: string, topic: string, payload: string): void {
    if (this.wedged || this.closed) return;
    if (channel === this.canaryChannel) {
      this.lastCanary = Date.now();
      this.canaryOk = true;
      return;
    }
    const handler = this.handlers.get(topic);
    if (!handler) return;
    // This node's own publish, delivered locally already: skipped before it is parsed.
    if (payload.startsWith(this.ownOrigin)) return;
    let decoded;
    try {
      decoded = decode(payload);
    } catch (err) {
      this.opts.onError(err, `decoding a message on ${channel}`);
      return;
    }
    if (!decoded) return;
    const { message } = decoded;
    if (this.opts.delayMs) setTimeout(() => handler(message), this.opts.delayMs);
    else handler(message);
  }

  /**
   * ioredis subscribes again by itself; this waits until Redis has acknowledged every topic, so
   * that the heads read next are not older than the subscription (Synapse #7427).
   */
  private async afterReconnect(): Promise<void> {
    this.wedged = false;
    try {
      const channels = [...this.handlers.keys()].map((t) => this.opts.channelPrefix + t);
      if (channels.length > 0) await this.opts.subscriber.subscribe(...channels);
      this.lastCanary = Date.now();
    } catch (err) {
      this.opts.onError(err, 'subscribing again after a reconnect');
    }
    this.opts.onNotice('Redis subscription back: resyncing every topic from the store');
    this.resync();
  }
}
