// The local Parley server the app offers by default: one already running on the default port is
// used as is; otherwise the embedded one starts (SQLite in the user's data folder), with a
// local Janus beside it for group calls of 5 to 25 when this machine has one.
import { join } from 'node:path';
import { defaultDataDir } from '../server/cli.js';
import { defaultConfig } from '../server/config.js';
import { startServer, type RunningServer } from '../server/server.js';
import { janusProblem, startJanus, type JanusInstance } from '../server/sfu/janus-process.js';
import { DEFAULT_PORT } from '../shared/protocol.js';

export const LOCAL_SERVER_URL = `http://127.0.0.1:${DEFAULT_PORT}`;

export interface LocalServer {
  url: string;
  server?: RunningServer;
  /** Stops what was started here (the server and its Janus); nothing when one was running. */
  close(): Promise<void>;
}

export async function localServer(
  say: (line: string) => void = (line) => console.log(line),
): Promise<LocalServer> {
  try {
    const res = await fetch(`${LOCAL_SERVER_URL}/healthz`, { signal: AbortSignal.timeout(1000) });
    // One is running already: use it.
    if (res.ok) return { url: LOCAL_SERVER_URL, close: () => Promise.resolve() };
  } catch {
    // none: start the embedded one
  }
  const config = { ...defaultConfig(defaultDataDir()), logLevel: 'warn' as const };
  const janus = await localJanus(join(config.dataDir, 'janus'), say);
  if (janus) config.sfu = [{ url: janus.url, apiSecret: janus.apiSecret }];
  let server: RunningServer;
  try {
    server = await startServer(config);
  } catch (err) {
    await janus?.stop();
    throw err;
  }
  return {
    url: server.url,
    server,
    async close() {
      await server.close();
      await janus?.stop();
    },
  };
}

/** A Janus for group calls when the machine has one; otherwise says how to get one. */
async function localJanus(
  dir: string,
  say: (line: string) => void,
): Promise<JanusInstance | undefined> {
  const problem = janusProblem();
  if (problem) {
    say(`parley: group calls are limited to 4 people: ${problem}`);
    return undefined;
  }
  try {
    const janus = await startJanus({ dir });
    say(`parley: group calls of up to 25 through a local Janus (pid ${String(janus.pid())})`);
    return janus;
  } catch (err) {
    say(
      `parley: group calls are limited to 4 people: Janus did not start (${(err as Error).message.split('\n')[0]})`,
    );
    return undefined;
  }
}
