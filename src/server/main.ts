// `parley-server`: starts the server from the command line and stops it on SIGTERM/SIGINT.
import { parseCli, USAGE } from './cli.js';
import { startServer } from './server.js';

async function main(): Promise<void> {
  const cli = parseCli(process.argv.slice(2));
  if ('help' in cli) {
    console.log(USAGE);
    return;
  }
  if ('error' in cli) {
    console.error(`parley-server: ${cli.error}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  let server;
  try {
    server = await startServer(cli.config);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why =
      e.code === 'EADDRINUSE'
        ? `port ${cli.config.port} is in use; pick another with --port`
        : e.code === 'EACCES'
          ? `no permission to listen on port ${cli.config.port} or to write ${cli.config.dataDir}`
          : e.message;
    console.error(`parley-server: cannot start: ${why}`);
    process.exitCode = 1;
    return;
  }
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error('parley-server: error while stopping', err);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

void main();
