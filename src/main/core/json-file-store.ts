// An OutboxStore on disk: one JSON file, replaced atomically (write, fsync, rename) so a crash
// leaves either the old list or the new one, never half of one.
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

export function jsonFileOutboxStore(file: string): OutboxStore {
  return {
    load() {
      if (!existsSync(file)) return [];
      try {
        const items = JSON.parse(readFileSync(file, 'utf8')) as unknown;
        return Array.isArray(items) ? (items as OutboxItem[]) : [];
      } catch {
        // Unreadable: keep it aside for a person to look at rather than lose it silently.
        renameSync(file, `${file}.unreadable-${Date.now()}`);
        return [];
      }
    },
    save(items) {
      const tmp = `${file}.tmp`;
      const fd = openSync(tmp, 'w', 0o600);
      try {
        writeSync(fd, JSON.stringify(items));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, file);
    },
  };
}
