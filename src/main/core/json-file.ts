// Small JSON files written atomically (write, fsync, rename): a crash leaves the old content or
// the new, never half. For the outbox, the account list and settings.
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import type { OutboxItem, OutboxStore } from './outbox.js';

export function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(value));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
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
