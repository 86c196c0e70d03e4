// Access tokens on disk, encrypted with Electron's safeStorage (the OS keychain's key). Refuses
// to store in plain text when the OS offers no encryption (a Linux session without a keyring).
import { join } from 'node:path';
import { safeStorage } from 'electron';
import type { SecretStore } from '../core/accounts.js';
import { readJson, writeJsonAtomic } from '../core/json-file.js';

const isSecrets = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function safeStorageSecrets(dataDir: string): SecretStore {
  const file = join(dataDir, 'secrets.json');
  // A damaged file is moved aside (the accounts sign in again) instead of failing every call.
  const read = (): Record<string, string> => readJson(file, {}, isSecrets);
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
