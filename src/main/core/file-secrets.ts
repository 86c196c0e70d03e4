// A SecretStore in a file readable by this user only (mode 0600). Used by the web host, which runs
// outside Electron and so has no safeStorage: the token is protected by file permissions alone.
import { join } from 'node:path';
import type { SecretStore } from './accounts.js';
import { readJson, writeJsonAtomic } from './json-file.js';

export function fileSecrets(dataDir: string): SecretStore {
  const file = join(dataDir, 'secrets.json');
  const isRecord = (v: unknown): v is Record<string, string> => typeof v === 'object' && v !== null;
  const read = () => readJson<Record<string, string>>(file, {}, isRecord);
  return {
    get: async (key) => read()[key] ?? null,
    set: async (key, value) => writeJsonAtomic(file, { ...read(), [key]: value }),
    async delete(key) {
      const all = read();
      delete all[key];
      writeJsonAtomic(file, all);
    },
  };
}
