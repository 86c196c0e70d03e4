// Small JSON files written atomically (write, fsync, rename): a crash leaves the old content or
// the new, never half. For the outbox, the account list and settings.
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import type { OutboxItem, OutboxStore } from './outbox.js';

export function writeJsonAtomic(file: string, value: unknown): void {
  // A temporary name of its own: two writers sharing `${file}.tmp` once tore each other's files
  // (security review L10). `wx`: never follow or reuse something already there.
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, JSON.stringify(value));
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(tmp);
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, file);
  syncDirectory(dirname(file));
}

/** The rename is durable only once the folder's entry is on disk too (POSIX; a no-op elsewhere). */
function syncDirectory(dir: string): void {
  if (process.platform === 'win32') return;
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a folder; the file itself is already on disk.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The file's JSON, or `fallback` when it does not exist. An unreadable file is moved aside (for a
 * person to look at) rather than silently overwritten.
 */
export function readJson<T>(file: string, fallback: T, valid: (v: unknown) => v is T): T {
  if (!existsSync(file)) return fallback;
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (valid(value)) return value;
  } catch {
    // fall through: moved aside below
  }
  renameSync(file, `${file}.unreadable-${Date.now()}`);
  return fallback;
}

export function jsonFileOutboxStore(file: string): OutboxStore {
  return {
    load: () => readJson<OutboxItem[]>(file, [], Array.isArray),
    save: (items) => writeJsonAtomic(file, items),
  };
}
