// `npm run web -- --port P`: the app in a browser. Starts (or reuses) a local Parley server on its
// embedded default, runs the desktop core behind the web host, and prints the URL to open.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import envPaths from 'env-paths';
import { DesktopCore } from './core/desktop-core.js';
import { fileSecrets } from './core/file-secrets.js';
import { wsSocketFactory } from './core/ws-socket.js';
import { localServer } from './local-server.js';
import { startWebHost } from './web-host.js';

const USAGE = `Usage: npm run web -- [--port P] [--data DIR]

  --port P    where to serve the app (default 5180; 0 picks a free port)
  --data DIR  the app's own data folder (default: ${join(envPaths('Parley', { suffix: '' }).data, 'web')})`;

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: { port: { type: 'string' }, data: { type: 'string' }, help: { type: 'boolean' } },
      strict: true,
    }));
  } catch (err) {
    console.error(`parley web: ${(err as Error).message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(values.port ?? 5180);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`parley web: --port is 0 to 65535\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const dataDir = values.data ?? join(envPaths('Parley', { suffix: '' }).data, 'web');
  const local = await localServer();
  const core = new DesktopCore({
    dataDir,
    secrets: fileSecrets(dataDir),
    socketFactory: wsSocketFactory,
    appInfo: {
      name: 'Parley',
      version: process.env.npm_package_version ?? '0.0.0',
      platform: 'web',
      defaultServer: local.url,
    },
    // A browser opens links itself; the host never launches programs on the page's behalf.
    openExternal: () => undefined,
    notify: (n) => core.push('notification:show', n),
  });
  await core.start();
  let host;
  try {
    host = await startWebHost({
      core,
      port,
      rendererDir: fileURLToPath(new URL('../../out/renderer', import.meta.url)),
      log: (message, err) => console.error(message, err),
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    console.error(
      `parley web: ${e.code === 'EADDRINUSE' ? `port ${port} is in use; pick another with --port` : e.message}`,
    );
    process.exitCode = 1;
    await local.close();
    return;
  }
  // The link carries the key that lets a page drive this app: it is printed, never served.
  console.log(`Parley is at ${host.launchUrl}  (local server: ${local.url})`);
  const stop = () => {
    void (async () => {
      await host.close();
      core.dispose();
      await local.close();
      process.exit(0);
    })();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
