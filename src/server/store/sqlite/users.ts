// Users: accounts, presence, display names, pictures, and finding people by name.
import type Database from 'better-sqlite3';
import { newId, toUser, type UserRow } from '../rows.js';
import type { UserRecord } from '../records.js';
import type { Sync, UserRepo } from '../store.js';

export function sqliteUsers(db: Database.Database): Sync<UserRepo> {
  const q = {
    countUsers: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM users'),
    insertUser: db.prepare(
      `INSERT INTO users (user_id, username, display_name, pass_hash, is_admin, created_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    userByName: db.prepare<[string], UserRow>('SELECT * FROM users WHERE username = ?'),
    userById: db.prepare<[string], UserRow>('SELECT * FROM users WHERE user_id = ?'),
    setPresence: db.prepare('UPDATE users SET status = ?, status_text = ? WHERE user_id = ?'),
    setDisplayName: db.prepare('UPDATE users SET display_name = ? WHERE user_id = ?'),
    avatarOf: db.prepare<[string], { avatar: string | null }>(
      'SELECT avatar FROM users WHERE user_id = ?',
    ),
    setAvatar: db.prepare('UPDATE users SET avatar = ? WHERE user_id = ?'),
    searchPeople: db.prepare<[string, string, string, number], UserRow>(
      `SELECT * FROM users
        WHERE username LIKE ? ESCAPE '\\' OR display_name LIKE ? ESCAPE '\\'
           OR display_name LIKE ? ESCAPE '\\'
        ORDER BY username LIMIT ?`,
    ),
  };

  const createUser = db.transaction(
    (u: { username: string; displayName: string; passHash: string }): UserRecord | null => {
      if (q.userByName.get(u.username)) return null;
      // The first account of a fresh server administers it (metrics, closed registration).
      const isAdmin = q.countUsers.get()!.n === 0;
      const userId = newId('u');
      q.insertUser.run(userId, u.username, u.displayName, u.passHash, isAdmin ? 1 : 0, Date.now());
      return toUser(q.userById.get(userId))!;
    },
  );

  return {
    createUser,
    userByName: (username) => toUser(q.userByName.get(username)),
    userById: (userId) => toUser(q.userById.get(userId)),
    setPresence: (userId, status, text) => void q.setPresence.run(status, text, userId),
    setDisplayName: (userId, name) => void q.setDisplayName.run(name, userId),
    setAvatar: db.transaction((userId: string, avatar: string | null) => {
      const old = q.avatarOf.get(userId)?.avatar ?? null;
      q.setAvatar.run(avatar, userId);
      return old;
    }),
    searchPeople(prefix, limit) {
      const p = prefix.replace(/[\\%_]/g, (c) => `\\${c}`);
      return q.searchPeople.all(`${p}%`, `${p}%`, `% ${p}%`, limit).map((r) => ({
        userId: r.user_id,
        username: r.username,
        displayName: r.display_name,
      }));
    },
  };
}
