// This server's live connections: by cid, by user, and the broker topics each listens to (so
// that a closed connection can stop listening to all of them).
import type { LocalFanout } from '../local-fanout.js';
import type { HubConnection } from './types.js';

export interface ConnectionTopics {
  /** Broker topics this connection listens to, so that detach can undo them all. */
  topics: Set<string>;
  /** Groups followed through `/groups/NAME/messages` rather than membership. */
  watching: Set<string>;
}

export class ConnectionIndex {
  private readonly byCid = new Map<string, HubConnection>();
  private readonly byUser = new Map<string, Set<HubConnection>>();
  private readonly subs = new WeakMap<HubConnection, ConnectionTopics>();

  constructor(private readonly fanout: LocalFanout) {}

  get connectionCount(): number {
    return this.byCid.size;
  }

  get userCount(): number {
    return this.byUser.size;
  }

  get(cid: string): HubConnection | undefined {
    return this.byCid.get(cid);
  }

  /** The user's connections on this server (undefined when none). */
  ofUser(userId: string): ReadonlySet<HubConnection> | undefined {
    return this.byUser.get(userId);
  }

  topicsOf(conn: HubConnection): ConnectionTopics | undefined {
    return this.subs.get(conn);
  }

  add(conn: HubConnection): void {
    this.byCid.set(conn.cid, conn);
    let set = this.byUser.get(conn.user.userId);
    if (!set) {
      set = new Set();
      this.byUser.set(conn.user.userId, set);
    }
    set.add(conn);
    this.subs.set(conn, { topics: new Set(), watching: new Set() });
  }

  /** Forgets a connection and stops its topics; false when it was not (or no longer) here. */
  remove(conn: HubConnection): boolean {
    const state = this.subs.get(conn);
    if (!state) return false;
    this.subs.delete(conn);
    for (const topic of state.topics) this.fanout.remove(topic, conn);
    this.byCid.delete(conn.cid);
    const set = this.byUser.get(conn.user.userId);
    if (set) {
      set.delete(conn);
      if (set.size === 0) this.byUser.delete(conn.user.userId);
    }
    return true;
  }

  /** Resolves when the topic's events reach the connection. */
  listen(conn: HubConnection, topic: string): Promise<void> {
    const state = this.subs.get(conn);
    if (!state || state.topics.has(topic)) return Promise.resolve();
    state.topics.add(topic);
    return this.fanout.add(topic, conn);
  }

  /**
   * The user left a group: their connections here stop receiving it. One that subscribed to a
   * public group's topic goes on watching it (anyone may); a private group is watched by its
   * members only, so that subscription ends too (security review 3, F1).
   */
  leftGroup(userId: string, group: string, topic: string, isPrivate: boolean): void {
    for (const c of this.byUser.get(userId) ?? []) {
      const state = this.subs.get(c);
      if (isPrivate) state?.watching.delete(group);
      if (!state?.watching.has(group)) this.unlisten(c, topic);
    }
  }

  unlisten(conn: HubConnection, topic: string): void {
    const state = this.subs.get(conn);
    if (!state?.topics.delete(topic)) return;
    this.fanout.remove(topic, conn);
  }

  clear(): void {
    this.byCid.clear();
    this.byUser.clear();
  }
}
