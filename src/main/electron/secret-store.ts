// Access tokens on disk, encrypted with Electron's safeStorage (the OS keychain's key). Refuses
// to store in plain text when the OS offers no encryption (a Linux session without a keyring).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { safeStorage } from 'electron';
import type { SecretStore } from '../core/accounts.js';
import { writeJsonAtomic } from '../core/json-file.js';

export function safeStorageSecrets(dataDir: string): SecretStore {
  const file = join(dataDir, 'secrets.json');
  const read = (): Record<string, string> =>
    existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {};
  return {
    async get(key) {
      const sealed = read()[key];
      return sealed ? safeStorage.decryptString(Buffer.from(sealed, 'base64')) : null;
    },
    async set(key, value) {
      if (!safeStorage.isEncryptionAvailable()) {
        throw new Error('this system offers no encrypted storage for the sign-in token');
      }
      const all = read();
      all[key] = safeStorage.encryptString(value).toString('base64');
      writeJsonAtomic(file, all);
    },
    async delete(key) {
      const all = read();
      delete all[key];
      writeJsonAtomic(file, all);
    },
  };
}
