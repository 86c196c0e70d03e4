// Private Janus instances for tests (src/server/sfu/janus-process.ts): their own generated
// configuration in a temporary folder, API on a free loopback port, stopped by PID after the test.
import {
  janusProblem,
  startJanus,
  type JanusInstance,
} from '../../src/server/sfu/janus-process.js';
import { tempDir } from './test-server.js';

/** Why the SFU tests cannot run here (printed when they skip), or undefined. */
export const JANUS_PROBLEM = janusProblem();
export const HAVE_JANUS = JANUS_PROBLEM === undefined;

export async function startTestJanus(count = 1): Promise<JanusInstance[]> {
  const started: JanusInstance[] = [];
  // Each its own 2,000 media ports: instances of one test never share a range, and tests run
  // side by side rarely do.
  const base = 20_000 + Math.floor(Math.random() * 9) * 4_000;
  try {
    for (let i = 0; i < count; i++) {
      started.push(await startJanus({ dir: tempDir('parley-janus-'), rtpFrom: base + i * 2_000 }));
    }
  } catch (err) {
    await Promise.all(started.map((j) => j.stop()));
    throw err;
  }
  return started;
}

/** The server's `sfu` setting for these instances. */
export function sfuConfig(instances: JanusInstance[]) {
  return instances.map((j) => ({ url: j.url, apiSecret: j.apiSecret }));
}
