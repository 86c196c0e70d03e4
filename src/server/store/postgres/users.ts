// Users: accounts, presence, display names, pictures, and finding people by name.
import { toUser, type UserRow, newId } from '../rows.js';
import type { UserRepo } from '../store.js';
import { FIRST_ACCOUNT_LOCK, type PgQuery } from './query.js';

export function postgresUsers({ pool, one, all, tx }: PgQuery): UserRepo {
  return {
    createUser: (u) =>
      tx(async (db) => {
        await db.query('SELECT pg_advisory_xact_lock($1)', [FIRST_ACCOUNT_LOCK]);
        if (await one('SELECT 1 FROM users WHERE lower(username) = lower($1)', [u.username], db)) {
          return null;
        }
        // The first account of a fresh server administers it; the lock makes "first" one account
        // even when several servers take sign-ups at once.
        const isAdmin = !(await one('SELECT 1 FROM users LIMIT 1', [], db));
        const row = await one<UserRow>(
          `INSERT INTO users (user_id, username, display_name, pass_hash, is_admin, created_at)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
          [newId('u'), u.username, u.displayName, u.passHash, isAdmin, Date.now()],
          db,
        );
        return toUser(row)!;
      }),
    userByName: async (username) =>
      toUser(
        await one<UserRow>('SELECT * FROM users WHERE lower(username) = lower($1)', [username]),
      ),
    userById: async (userId) =>
      toUser(await one<UserRow>('SELECT * FROM users WHERE user_id = $1', [userId])),
    setPresence: async (userId, status, text) => {
      await pool.query('UPDATE users SET status = $1, status_text = $2 WHERE user_id = $3', [
        status,
        text,
        userId,
      ]);
    },
    setDisplayName: async (userId, name) => {
      await pool.query('UPDATE users SET display_name = $1 WHERE user_id = $2', [name, userId]);
    },
    setAvatar: async (userId, avatar) =>
      (
        await one<{ old: string | null }>(
          `UPDATE users u SET avatar = $1 FROM (SELECT avatar FROM users WHERE user_id = $2 FOR UPDATE) o
           WHERE u.user_id = $2 RETURNING o.avatar AS old`,
          [avatar, userId],
        )
      )?.old ?? null,
    searchPeople: async (prefix, limit) => {
      const p = prefix.replace(/[\\%_]/g, (c) => `\\${c}`);
      const rows = await all<UserRow>(
        `SELECT * FROM users
          WHERE username ILIKE $1 OR display_name ILIKE $1 OR display_name ILIKE $2
          ORDER BY username LIMIT $3`,
        [`${p}%`, `% ${p}%`, limit],
      );
      return rows.map((r) => ({
        userId: r.user_id,
        username: r.username,
        displayName: r.display_name,
      }));
    },
  };
}
