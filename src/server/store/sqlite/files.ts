// Files: attachments' records (their bytes are in the BlobStore).
import type Database from 'better-sqlite3';
import { toFile, type FileRow } from '../rows.js';
import { FILE_MIN_CHARGE, type FileRepo, type Sync } from '../store.js';

export function sqliteFiles(db: Database.Database): Sync<FileRepo> {
  const q = {
    insertFile: db.prepare(
      `INSERT INTO files (file_id, conv_id, uploader_id, name, type, size, sha256, created_at)
       VALUES (@fileId, @convId, @uploaderId, @name, @type, @size, @sha256, @createdAt)`,
    ),
    file: db.prepare<[string], FileRow>('SELECT * FROM files WHERE file_id = ?'),
    used: db.prepare<[string], { n: number }>(
      `SELECT coalesce(sum(max(size, ${FILE_MIN_CHARGE})), 0) AS n FROM files WHERE uploader_id = ?`,
    ),
    takeUnattached: db.prepare<[number, number], { file_id: string }>(
      `DELETE FROM files WHERE file_id IN (SELECT file_id FROM files
         WHERE message_id IS NULL AND created_at < ? LIMIT ?) RETURNING file_id`,
    ),
  };
  return {
    addFile: (f) => void q.insertFile.run(f),
    file: (fileId) => toFile(q.file.get(fileId)),
    storageUsed: (userId) => q.used.get(userId)?.n ?? 0,
    takeUnattachedFiles: (before, limit) =>
      q.takeUnattached.all(before, limit).map((r) => r.file_id),
  };
}
