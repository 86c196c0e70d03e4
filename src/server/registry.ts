// Who is connected, across every server process. One process answers from its own maps; a
// cluster answers from Redis (cluster/redis-registry.ts), where first and last connection are
// decided atomically for all nodes, so "last connection → offline" holds cluster-wide.
import type { Disposable } from './broker.js';

export type AttachVerdict = { ok: true; first: boolean } | { ok: false };

export interface LiveRegistry {
  /** Registers a connection; refuses past `perUser` live connections of the user. */
  attach(cid: string, userId: string, perUser: number): Promise<AttachVerdict>;
  /** Forgets a connection; `last` when the user has no connection left anywhere. */
  detach(cid: string, userId: string): Promise<{ last: boolean }>;
  /** The live connections of each user that has any (users with none are absent). */
  online(userIds: readonly string[]): Promise<Map<string, string[]>>;
  /** The user a live connection belongs to, wherever it is. */
  userOfCid(cid: string): Promise<string | undefined>;
  /** Remembers that connection `cid` signalled `userId` (they may answer it while it hides). */
  noteSignal(cid: string, userId: string, ttlMs: number): Promise<void>;
  signalled(cid: string, userId: string): Promise<boolean>;
  /**
   * Users whose every connection was on a node that died (its lease ran out): they are offline
   * now and nobody else will say so. Each such user is reported to exactly one node.
   */
  onOffline(listener: (userIds: string[]) => void): Disposable;
  /**
   * This node's connections were registered again (Redis lost them, or this node was paused
   * past its lease and reaped); these users became online again through it.
   */
  onOnline(listener: (userIds: string[]) => void): Disposable;
  /** Whether the registry is in working order (for /healthz). */
  healthy(): boolean;
  close(): Promise<void>;
}

export class LocalRegistry implements LiveRegistry {
  private readonly byUser = new Map<string, Set<string>>();
  private readonly userOf = new Map<string, string>();
  /** cid → (user it signalled → until when they may answer it). */
  private readonly signals = new Map<string, Map<string, number>>();

  async attach(cid: string, userId: string, perUser: number): Promise<AttachVerdict> {
    let set = this.byUser.get(userId);
    if ((set?.size ?? 0) >= perUser) return { ok: false };
    if (!set) this.byUser.set(userId, (set = new Set()));
    set.add(cid);
    this.userOf.set(cid, userId);
    return { ok: true, first: set.size === 1 };
  }

  async detach(cid: string, userId: string): Promise<{ last: boolean }> {
    this.userOf.delete(cid);
    this.signals.delete(cid);
    const set = this.byUser.get(userId);
    if (!set?.delete(cid)) return { last: false };
    if (set.size > 0) return { last: false };
    this.byUser.delete(userId);
    return { last: true };
  }

  async online(userIds: readonly string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (const userId of userIds) {
      const set = this.byUser.get(userId);
      if (set) out.set(userId, [...set]);
    }
    return out;
  }

  async userOfCid(cid: string): Promise<string | undefined> {
    return this.userOf.get(cid);
  }

  async noteSignal(cid: string, userId: string, ttlMs: number): Promise<void> {
    if (!this.userOf.has(cid)) return;
    let map = this.signals.get(cid);
    if (!map) this.signals.set(cid, (map = new Map()));
    map.set(userId, Date.now() + ttlMs);
  }

  async signalled(cid: string, userId: string): Promise<boolean> {
    const until = this.signals.get(cid)?.get(userId);
    return until !== undefined && until > Date.now();
  }

  onOffline(): Disposable {
    return { dispose: () => undefined };
  }

  onOnline(): Disposable {
    return { dispose: () => undefined };
  }

  healthy(): boolean {
    return true;
  }

  async close(): Promise<void> {
    this.byUser.clear();
    this.userOf.clear();
    this.signals.clear();
  }
}
