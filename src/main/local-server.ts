// The local Parley server the app offers by default: one already running on the default port is
// used as is; otherwise the embedded one starts (SQLite in the user's data folder).
import { defaultDataDir } from '../server/cli.js';
import { defaultConfig } from '../server/config.js';
import { startServer, type RunningServer } from '../server/server.js';
import { DEFAULT_PORT } from '../shared/protocol.js';

export const LOCAL_SERVER_URL = `http://127.0.0.1:${DEFAULT_PORT}`;

export async function localServer(): Promise<{ url: string; server?: RunningServer }> {
  try {
    const res = await fetch(`${LOCAL_SERVER_URL}/healthz`, { signal: AbortSignal.timeout(1000) });
    if (res.ok) return { url: LOCAL_SERVER_URL }; // one is running already: use it
  } catch {
    // none: start the embedded one
  }
  const server = await startServer({ ...defaultConfig(defaultDataDir()), logLevel: 'warn' });
  return { url: server.url, server };
}
