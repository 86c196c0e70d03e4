// A web host in a process of its own, for tests that must see whether a request can end it:
// the real desktop core (its own data folder) behind the real web host on a free port.
// Prints `WEBHOST http://127.0.0.1:PORT/` once listening.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DesktopCore } from '../../src/main/core/desktop-core.js';
import { fileSecrets } from '../../src/main/core/file-secrets.js';
import { wsSocketFactory } from '../../src/main/core/ws-socket.js';
import { startWebHost } from '../../src/main/web-host.js';

const dataDir = mkdtempSync(join(tmpdir(), 'parley-webhost-'));
const core = new DesktopCore({
  dataDir,
  secrets: fileSecrets(dataDir),
  socketFactory: wsSocketFactory,
  appInfo: { name: 'Parley', version: '0.1.0', platform: 'web' },
  openExternal: () => undefined,
  notify: () => undefined,
});
await core.start();
const host = await startWebHost({
  core,
  rendererDir: fileURLToPath(new URL('../../out/renderer', import.meta.url)),
  port: 0,
});
console.log(`WEBHOST ${host.url}`);
process.on('SIGTERM', () => {
  void host.close().then(() => process.exit(0));
});
