// `npm start`: the desktop app with a local server on its embedded default. The server runs here
// (in Node, beside the app); the app is Electron when this machine can run it, and otherwise the
// same app in the browser through the web host (`npm run web`), with the reason printed.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { localServer } from '../src/main/local-server.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const bin = (pkg: string, file: string) => join(ROOT, 'node_modules', pkg, file);

/** Why Electron cannot start here, or null when it can. */
function electronProblem(): string | null {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  if (major < 22 || (major === 22 && minor < 12)) {
    return `Electron's launcher needs Node 22.12 or later (this is ${process.versions.node})`;
  }
  const pathFile = bin('electron', 'path.txt');
  const binary = existsSync(pathFile)
    ? join(ROOT, 'node_modules/electron/dist', readFileSync(pathFile, 'utf8').trim())
    : null;
  // A lazily-downloading Electron fetches its binary on first launch; that needs the internet.
  if (!binary || !existsSync(binary)) {
    return process.env.PARLEY_ELECTRON_DOWNLOAD === '1'
      ? null
      : "Electron's binary is not downloaded (set PARLEY_ELECTRON_DOWNLOAD=1 to fetch it on launch)";
  }
  return null;
}

function run(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: 'inherit', env });
  const stop = () => child.kill('SIGTERM');
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}

async function main(): Promise<void> {
  const problem = electronProblem();
  if (problem) {
    console.log(`parley: ${problem}; opening the same app in your browser instead.`);
    process.exitCode = await run([bin('tsx', 'dist/cli.mjs'), 'src/main/web-host-cli.ts']);
    return;
  }
  const local = await localServer();
  console.log(`parley: local server at ${local.url}`);
  const code = await run([bin('electron-vite', 'bin/electron-vite.js'), 'preview'], {
    ...process.env,
    PARLEY_DEFAULT_SERVER: local.url,
  });
  await local.close();
  process.exitCode = code;
}

void main();
