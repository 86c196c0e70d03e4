// A real TURN server (coturn, from Debian's packages) on loopback, for calls relayed through it:
// long-term credentials, relay addresses on 127.0.0.1 only. pause() stops the process (SIGSTOP)
// so every relayed packet stops, as when the network drops; resume() lets it go on.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './test-server.js';
import { freePort } from './wait.js';

export const TURNSERVER = process.env.TURNSERVER_PATH ?? '/usr/bin/turnserver';
export const HAVE_TURN = existsSync(TURNSERVER);

export interface TurnServer {
  iceServer: { urls: string; username: string; credential: string };
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

export async function startTurnServer(): Promise<TurnServer> {
  const port = await freePort();
  const relayFrom = 40_000 + Math.floor(Math.random() * 20_000);
  const dir = tempDir('parley-turn-');
  const username = 'parley';
  const credential = 'turn secret for tests';
  const proc: ChildProcess = spawn(
    TURNSERVER,
    [
      '-n',
      '--no-cli',
      '--no-tls',
      '--no-dtls',
      '--listening-ip=127.0.0.1',
      '--relay-ip=127.0.0.1',
      `--listening-port=${String(port)}`,
      `--min-port=${String(relayFrom)}`,
      `--max-port=${String(relayFrom + 200)}`,
      '--lt-cred-mech',
      `--user=${username}:${credential}`,
      '--realm=parley.test',
      // Both ends of the relayed call are on this machine.
      '--allow-loopback-peers',
      `--userdb=${join(dir, 'turndb')}`,
      '--log-file=stdout',
      '--simple-log',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  proc.stdout!.on('data', (c: Buffer) => (log += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  const exited = new Promise<never>((_, reject) =>
    proc.once('exit', (code) => reject(new Error(`turnserver exited (${String(code)}):\n${log}`))),
  );
  exited.catch(() => undefined);
  try {
    await Promise.race([stunAnswers(port, 10_000), exited]);
  } catch (err) {
    proc.kill('SIGKILL');
    throw new Error(`turnserver did not start: ${(err as Error).message}\n${log}`, { cause: err });
  }
  return {
    iceServer: { urls: `turn:127.0.0.1:${String(port)}?transport=udp`, username, credential },
    pause: () => void proc.kill('SIGSTOP'),
    resume: () => void proc.kill('SIGCONT'),
    async stop() {
      if (proc.exitCode !== null) return;
      proc.kill('SIGCONT');
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3_000))]);
      if (proc.exitCode === null) proc.kill('SIGKILL');
    },
  };
}

/** Resolves once a STUN Binding request to the port gets an answer (the server is up). */
function stunAnswers(port: number, timeoutMs: number): Promise<void> {
  const socket = createSocket('udp4');
  // Binding request: type 0x0001, no attributes, the magic cookie, a random transaction id.
  const request = Buffer.concat([
    Buffer.from([0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42]),
    randomBytes(12),
  ]);
  return new Promise<void>((resolve, reject) => {
    const done = (err?: Error) => {
      clearInterval(ask);
      clearTimeout(timer);
      socket.close();
      if (err) reject(err);
      else resolve();
    };
    socket.on('message', (msg) => {
      if (msg.readUInt16BE(0) === 0x0101) done();
    });
    socket.on('error', () => undefined);
    const ask = setInterval(() => socket.send(request, port, '127.0.0.1'), 100);
    const timer = setTimeout(() => done(new Error('no STUN answer')), timeoutMs);
  });
}
