// Tokens: password changes and "sign out everywhere" raise a user's token version; single
// tokens are revoked by id until they would have expired anyway.
import type Database from 'better-sqlite3';
import type { Sync, TokenRepo } from '../store.js';

export function sqliteTokens(db: Database.Database): Sync<TokenRepo> & {
  purgeRevoked(now: number): void;
} {
  const q = {
    setPassword: db.prepare<[string, string], { token_version: number }>(
      `UPDATE users SET pass_hash = ?, token_version = token_version + 1 WHERE user_id = ?
       RETURNING token_version`,
    ),
    bumpTokenVersion: db.prepare<[string], { token_version: number }>(
      'UPDATE users SET token_version = token_version + 1 WHERE user_id = ? RETURNING token_version',
    ),
    revokeToken: db.prepare(
      'INSERT INTO revoked_tokens (jti, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING',
    ),
    isRevoked: db.prepare<[string], { one: number }>(
      'SELECT 1 AS one FROM revoked_tokens WHERE jti = ?',
    ),
    purgeRevoked: db.prepare('DELETE FROM revoked_tokens WHERE expires_at < ?'),
  };
  return {
    setPassword: (userId, passHash) => q.setPassword.get(passHash, userId)?.token_version ?? 0,
    bumpTokenVersion: (userId) => q.bumpTokenVersion.get(userId)?.token_version ?? 0,
    revokeToken: (jti, expiresAt) => void q.revokeToken.run(jti, expiresAt),
    isRevoked: (jti) => q.isRevoked.get(jti) !== undefined,
    purgeRevoked: (now) => void q.purgeRevoked.run(now),
  };
}
