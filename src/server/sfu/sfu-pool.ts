// The Janus instances this server may place calls on (`--sfu`): one connection each, kept up
// (reconnected with a backoff when Janus dies or restarts), the load of each (people in calls on
// it), and which handle on which instance belongs to whom, so Janus's events reach their owner.
import { JanusConnection, type Jsep, type PluginData } from './janus-client.js';

export interface SfuEndpoint {
  url: string;
  /** Janus's API secret (`api_secret`), also the VideoRoom `admin_key`. */
  apiSecret: string;
}

/** Whoever owns a handle hears its events. */
export interface HandleOwner {
  event(data: PluginData, jsep?: Jsep): void;
  news(kind: string): void;
}

export interface SfuInstance {
  readonly url: string;
  readonly apiSecret: string;
  /** Present while Janus is connected. */
  connection: JanusConnection | undefined;
  /** A handle for room management (create, destroy), made on connect. */
  adminHandle: number | undefined;
  /** People in calls on it: what "least loaded" compares. */
  load: number;
  readonly owners: Map<number, HandleOwner>;
}

const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 5_000;

export class SfuPool {
  readonly instances: SfuInstance[];
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private stopped = false;

  constructor(
    endpoints: SfuEndpoint[],
    private readonly hooks: {
      /** An instance went away: its calls must move. */
      lost(instance: SfuInstance): void;
      log(message: string, detail?: unknown): void;
    },
  ) {
    this.instances = endpoints.map((e) => ({
      url: e.url,
      apiSecret: e.apiSecret,
      connection: undefined,
      adminHandle: undefined,
      load: 0,
      owners: new Map(),
    }));
  }

  /** Connects every instance; resolves once each has answered or failed its first try. */
  async start(): Promise<void> {
    await Promise.all(this.instances.map((i) => this.connect(i, RECONNECT_MIN_MS)));
  }

  get configured(): boolean {
    return this.instances.length > 0;
  }

  /** The connected instance with the fewest people in calls (not `except`), if any. */
  leastLoaded(except?: SfuInstance): SfuInstance | undefined {
    let best: SfuInstance | undefined;
    for (const i of this.instances) {
      if (i === except || !i.connection || i.adminHandle === undefined) continue;
      if (!best || i.load < best.load) best = i;
    }
    return best;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    for (const i of this.instances) i.connection?.close();
  }

  private async connect(instance: SfuInstance, backoffMs: number): Promise<void> {
    if (this.stopped) return;
    let connection: JanusConnection | undefined;
    try {
      connection = await JanusConnection.connect(instance.url, instance.apiSecret, {
        event: (handle, data, jsep) => instance.owners.get(handle)?.event(data, jsep),
        handleNews: (handle, kind) => instance.owners.get(handle)?.news(kind),
        closed: (why) => {
          if (instance.connection !== connection) return;
          instance.connection = undefined;
          instance.adminHandle = undefined;
          instance.owners.clear();
          instance.load = 0;
          this.hooks.log(`SFU ${instance.url} lost: ${why}`);
          this.hooks.lost(instance);
          this.retry(instance, RECONNECT_MIN_MS);
        },
      });
      const adminHandle = await connection.attach();
      if (this.stopped) {
        connection.close();
        return;
      }
      instance.adminHandle = adminHandle;
      instance.connection = connection;
      this.hooks.log(`SFU ${instance.url} connected`);
    } catch (err) {
      // Connected but not usable (the attach failed): closed, and tried again like the rest.
      connection?.close();
      this.hooks.log(`SFU ${instance.url} unreachable`, err);
      this.retry(instance, Math.min(backoffMs * 2, RECONNECT_MAX_MS));
    }
  }

  private retry(instance: SfuInstance, backoffMs: number): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.connect(instance, backoffMs);
    }, backoffMs);
    timer.unref();
    this.timers.add(timer);
  }
}
