// Tokens: password changes and "sign out everywhere" raise a user's token version; single tokens are revoked by id until they would have expired anyway.

import type { TokenRepo } from '../store.js';
import type { PgQuery } from './query.js';

export function postgresTokens({ pool, one }: PgQuery): TokenRepo {
  return {
    setPassword: async (userId, passHash) =>
      (
        await one<{ token_version: number }>(
          `UPDATE users SET pass_hash = $1, token_version = token_version + 1 WHERE user_id = $2
           RETURNING token_version`,
          [passHash, userId],
        )
      )?.token_version ?? 0,
    bumpTokenVersion: async (userId) =>
      (
        await one<{ token_version: number }>(
          'UPDATE users SET token_version = token_version + 1 WHERE user_id = $1 RETURNING token_version',
          [userId],
        )
      )?.token_version ?? 0,
    revokeToken: async (jti, expiresAt) => {
      await pool.query(
        'INSERT INTO revoked_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING',
        [jti, expiresAt],
      );
    },
    isRevoked: async (jti) =>
      Boolean(await one('SELECT 1 FROM revoked_tokens WHERE jti = $1', [jti])),
  };
}
