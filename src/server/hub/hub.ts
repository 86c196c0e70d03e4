// The hub's core: connections coming and going, and each request handed to its handler
// (handlers/, one module per protocol area). Transport concerns (framing, auth handshake,
// heartbeat, limits) live in the gateway.
import { DisposableStore } from '../../shared/lifecycle.js';
import type { RequestResultMap, RequestType } from '../../shared/protocol.js';
import type { RequestParams } from '../../shared/schemas.js';
import { topics } from '../broker.js';
import { LocalFanout } from '../local-fanout.js';
import { LocalRegistry, type AttachVerdict } from '../registry.js';
import type { ConvId } from '../store/store.js';
import { control } from './cluster-control.js';
import { SfuCalls } from '../sfu/sfu-calls.js';
import { callEnded, callStarted } from './call-lines.js';
import { ConnectionIndex } from './connections.js';
import type { HubContext } from './context.js';
import { handlers, type Handler } from './handlers/index.js';
import { forgetOldRings } from './handlers/rtc.js';
import { announceBack, announceOffline, fromCluster, profileChanged } from './presence.js';
import { eventFrame } from './frames.js';
import { announceHead, publishGroup } from './publisher.js';
import { deliverQueued, replay, streamSource } from './resume.js';
import type { HubConnection, HubOptions, HubStats, RequestOrder } from './types.js';

export class Hub {
  /** Counters read by the metrics module; plain numbers to keep the hot path cheap. */
  readonly stats: HubStats = { messages: 0, deliveries: 0 };
  private readonly ctx: HubContext;
  private readonly connections: ConnectionIndex;
  private readonly fanout: LocalFanout;
  private readonly disposables = new DisposableStore();
  private readonly pending = new Set<Promise<unknown>>();
  /** Registry verdicts of admitted connections, until they are attached. */
  private readonly admitted = new Map<string, boolean>();

  constructor(opts: HubOptions) {
    const onError = opts.onError ?? (() => undefined);
    this.fanout = new LocalFanout(opts.broker, {
      source: streamSource(opts.store),
      onControl: (topic, message) => control(this.ctx, topic, message),
      onStuck: (recipients) => {
        for (const r of recipients) (r as HubConnection).restart('the server lost track of events');
      },
      onError,
    });
    this.connections = new ConnectionIndex(this.fanout);
    const calls = opts.sfu?.length ? this.sfuCalls(opts) : undefined;
    this.ctx = {
      store: opts.store,
      broker: opts.broker,
      registry: opts.registry ?? new LocalRegistry(),
      connections: this.connections,
      limits: opts.limits,
      resumeMaxEvents: opts.resumeMaxEvents,
      iceServers: opts.iceServers ?? [],
      calls,
      afterCommit: opts.afterCommit,
      stats: this.stats,
      signalBudgets: new Map(),
      recentRings: new Map(),
      groupCreations: new Map(),
      deleteFiles: opts.deleteFiles ?? (() => Promise.resolve()),
      imageHeader: opts.imageHeader ?? (() => Promise.resolve(undefined)),
      now: opts.now ?? Date.now,
      onError,
      background: (work, what) => this.background(work, what),
    };
    const { ctx } = this;
    // In a cluster, presence changes reach every server on one topic.
    if (!opts.broker.lossless) {
      this.disposables.add(opts.broker.subscribe(topics.cluster, (m) => fromCluster(ctx, m)));
    }
    this.disposables.add(
      ctx.registry.onOffline((users) => {
        for (const userId of users) {
          this.background(announceOffline(ctx, userId), 'presence of a lost node');
        }
      }),
    );
    this.disposables.add(
      ctx.registry.onOnline((users) => {
        for (const userId of users) {
          const conn = this.connections.ofUser(userId)?.values().next().value;
          if (!conn) continue;
          this.background(announceBack(ctx, userId, conn.cid), 'presence after re-registering');
        }
      }),
    );
  }

  get connectionCount(): number {
    return this.connections.connectionCount;
  }

  get userCount(): number {
    return this.connections.userCount;
  }

  /**
   * Sets up an authenticated connection before it is admitted: subscribes its topics and waits
   * until the broker delivers them, holding live events from here on. A connection set up here
   * is `detach`ed whatever happens next.
   */
  async open(conn: HubConnection): Promise<void> {
    const { userId } = conn.user;
    this.connections.add(conn);
    conn.hold();
    const ready = [this.connections.listen(conn, topics.user(userId))];
    for (const group of await this.ctx.store.userGroups(userId)) {
      ready.push(this.connections.listen(conn, topics.group(group)));
    }
    await Promise.all(ready);
  }

  /**
   * Registers an open connection with the registry; false when the account already holds
   * `perUser` connections (across the cluster). Registered only once it listens (`open`):
   * whoever sees it online can reach it.
   */
  async admit(conn: HubConnection, perUser: number): Promise<boolean> {
    const { userId } = conn.user;
    let verdict: AttachVerdict;
    try {
      verdict = await this.ctx.registry.attach(conn.cid, userId, perUser);
    } catch (err) {
      // The registry is out of reach: the connection is let in on this node's word, and the
      // registry learns of it when it is back (the node registers its connections again).
      this.ctx.onError(err, 'registering a connection');
      verdict = { ok: true, first: this.connections.ofUser(userId)?.size === 1 };
    }
    if (!verdict.ok) return false;
    this.admitted.set(conn.cid, verdict.first);
    return true;
  }

  /**
   * Attaches an admitted connection: the events it missed (resume), the notifications queued
   * for it, and the user's presence if this is their first connection. Live events held since
   * `open` are released after the replay, less what the replay already carried (by seq): so a
   * live event can neither slip between replay and subscription nor arrive twice (store.ts).
   */
  async attach(conn: HubConnection, resume: Record<string, number> | undefined): Promise<void> {
    const { userId } = conn.user;
    const first = this.admitted.get(conn.cid) ?? false;
    this.admitted.delete(conn.cid);
    try {
      const replayed = resume ? await replay(this.ctx, conn, resume) : new Map<string, number>();
      conn.release(replayed);
    } catch (err) {
      conn.release(new Map());
      throw err;
    }
    await deliverQueued(this.ctx, userId, conn);
    if (first) await announceBack(this.ctx, userId, conn.cid);
  }

  /** Forgets a closed connection; the user's last one anywhere announces them offline. */
  detach(conn: HubConnection): void {
    if (!this.connections.remove(conn)) return;
    this.admitted.delete(conn.cid);
    this.ctx.calls?.connectionClosed(conn.cid);
    const { userId } = conn.user;
    this.background(
      this.ctx.registry
        .detach(conn.cid, userId)
        .then(({ last }) => (last ? announceOffline(this.ctx, userId) : undefined)),
      'presence on leave',
    );
  }

  /** Serves one request; throws HubError with a protocol code when it cannot. */
  async handle<T extends RequestType>(
    conn: HubConnection,
    type: T,
    params: RequestParams<T>,
    order?: RequestOrder,
  ): Promise<RequestResultMap[T]> {
    // The table is indexed by the same T: TypeScript cannot narrow a mapped type's lookup by a
    // generic key, so the one widening is stated here.
    const handler = handlers[type] as Handler<T>;
    return await handler(this.ctx, conn, params, order);
  }

  /** Which SFU a group call is on, if it is running here. */
  callPlacement(callId: string): string | undefined {
    return this.ctx.calls?.placement(callId);
  }

  /** Tells the user's contacts their new name or picture (with their status, as presence does). */
  profileChanged(userId: string): Promise<void> {
    return profileChanged(this.ctx, userId);
  }

  /** Tells every node that `convId` has events up to `seq` (they fill what they miss). */
  announceHead(convId: ConvId, seq: number): void {
    announceHead(this.ctx, convId, seq);
  }

  /** Forgets idle signal budgets and rings too old to record; called now and then. */
  sweep(now = this.ctx.now()): void {
    for (const [key, budget] of this.ctx.signalBudgets) {
      if (budget.count.isFull(now) && budget.bytes.isFull(now)) {
        this.ctx.signalBudgets.delete(key);
      }
    }
    forgetOldRings(this.ctx);
    this.ctx.calls?.sweep();
  }

  /** Waits (at most `timeoutMs`) for background work, before the store is closed. */
  async settle(timeoutMs = 2000): Promise<void> {
    await Promise.race([
      Promise.allSettled([...this.pending]),
      new Promise((r) => setTimeout(r, timeoutMs).unref()),
    ]);
  }

  dispose(): void {
    this.ctx.calls?.stop();
    this.disposables.dispose();
    this.fanout.dispose();
    this.connections.clear();
  }

  /** Group calls on the configured Janus instances, connected in the background. */
  private sfuCalls(opts: HubOptions): SfuCalls {
    const calls = new SfuCalls(opts.sfu!, {
      toConnection: (cid, data) =>
        this.connections.get(cid)?.sendEvent('sfu:event', undefined, eventFrame('sfu:event', data)),
      toGroup: (group, data) => publishGroup(this.ctx, group, 'call:state', data),
      now: opts.now ?? Date.now,
      log: (message, detail) => opts.onLog?.(message, detail),
      lineStarted: (call) => callStarted(this.ctx, call),
      lineEnded: (call) => callEnded(this.ctx, call),
    });
    this.background(calls.start(), 'connecting to the SFU');
    return calls;
  }

  private background(work: Promise<unknown>, what: string): void {
    const tracked = work.catch((err: unknown) => this.ctx.onError(err, what));
    this.pending.add(tracked);
    void tracked.finally(() => this.pending.delete(tracked));
  }
}
