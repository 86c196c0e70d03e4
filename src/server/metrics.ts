// Server figures: Prometheus text at GET /metrics (prom-client) and the `metrics` event for
// administrators subscribed to `/metrics`. Counters are plain numbers in the hub, read here.
import { getHeapStatistics } from 'node:v8';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { ServerFigures } from '../shared/protocol.js';
import { topics, type Broker } from './broker.js';
import type { Gateway } from './gateway/gateway.js';
import { eventFrame, type Hub } from './hub/index.js';

/** A Prometheus counter that follows a plain running total kept elsewhere. */
function mirrorCounter(register: Registry, name: string, help: string, total: () => number): void {
  let seen = 0;
  new Counter({
    name,
    help,
    registers: [register],
    collect() {
      const now = total();
      this.inc(now - seen);
      seen = now;
    },
  });
}

export function createMetricsRegistry(hub: Hub, gateway: Gateway): Registry {
  const register = new Registry();
  collectDefaultMetrics({ register, prefix: 'parley_' });
  new Gauge({
    name: 'parley_connections',
    help: 'Open WebSocket connections (authenticated or not)',
    registers: [register],
    collect() {
      this.set(gateway.size);
    },
  });
  new Gauge({
    name: 'parley_authenticated_connections',
    help: 'Authenticated WebSocket connections',
    registers: [register],
    collect() {
      this.set(hub.connectionCount);
    },
  });
  new Gauge({
    name: 'parley_online_users',
    help: 'Users with at least one authenticated connection',
    registers: [register],
    collect() {
      this.set(hub.userCount);
    },
  });
  mirrorCounter(
    register,
    'parley_messages_total',
    'Messages stored and published',
    () => hub.stats.messages,
  );
  mirrorCounter(
    register,
    'parley_deliveries_total',
    'Event frames handed to client sockets',
    () => hub.stats.deliveries,
  );
  return register;
}

/** Publishes the `metrics` event every interval; dispose with the returned function. */
export function startMetricsFeed(
  hub: Hub,
  gateway: Gateway,
  broker: Broker,
  intervalMs: number,
  node?: string,
): () => void {
  const started = Date.now();
  let last = { at: started, messages: hub.stats.messages, deliveries: hub.stats.deliveries };
  const timer = setInterval(() => {
    try {
      publishFigures();
    } catch {
      // A figure that cannot be read now (descriptors run out, F7) is skipped, never fatal.
    }
  }, intervalMs);
  function publishFigures(): void {
    const now = Date.now();
    const seconds = Math.max(0.001, (now - last.at) / 1000);
    const figures: ServerFigures = {
      connections: gateway.size,
      authenticated: hub.connectionCount,
      messagesPerSecond: Math.round((hub.stats.messages - last.messages) / seconds),
      deliveriesPerSecond: Math.round((hub.stats.deliveries - last.deliveries) / seconds),
      uptimeSeconds: Math.round((now - started) / 1000),
      // From V8 itself: process.memoryUsage() opens /proc, which fails with EMFILE (F7).
      heapUsedBytes: getHeapStatistics().used_heap_size,
      ...(node !== undefined ? { node } : {}),
    };
    last = { at: now, messages: hub.stats.messages, deliveries: hub.stats.deliveries };
    broker.publish(topics.metrics, { event: 'metrics', frame: eventFrame('metrics', figures) });
  }
  timer.unref();
  return () => clearInterval(timer);
}
