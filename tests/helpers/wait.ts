// Small helpers the integration tests share.
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { SecretStore } from '../../src/main/core/accounts.js';

/**
 * Polls `check` every 10 ms (after the previous check, when it returns a promise, settles);
 * rejects naming `what` after `timeoutMs`.
 */
export function until(check: () => unknown, what = 'a condition', timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const tick = async () => {
      let ok: unknown;
      try {
        ok = await check();
      } catch {
        ok = false;
      }
      if (ok) return resolve();
      if (Date.now() - started > timeoutMs)
        return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(() => void tick(), 10);
    };
    void tick();
  });
}

/** A loopback port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** The SecretStore port in memory: the tests' stand-in for Electron's safeStorage. */
export function memorySecrets(): SecretStore & { values: Map<string, string> } {
  const values = new Map<string, string>();
  return {
    values,
    get: async (k) => values.get(k) ?? null,
    set: async (k, v) => void values.set(k, v),
    delete: async (k) => void values.delete(k),
  };
}
