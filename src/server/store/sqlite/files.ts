// Files: attachments' records (their bytes are in the BlobStore).
import type Database from 'better-sqlite3';
import { toFile, type FileRow } from '../rows.js';
import type { FileRepo, Sync } from '../store.js';

export function sqliteFiles(db: Database.Database): Sync<FileRepo> {
  const q = {
    insertFile: db.prepare(
      `INSERT INTO files (file_id, conv_id, uploader_id, name, type, size, sha256, created_at)
       VALUES (@fileId, @convId, @uploaderId, @name, @type, @size, @sha256, @createdAt)`,
    ),
    file: db.prepare<[string], FileRow>('SELECT * FROM files WHERE file_id = ?'),
  };
  return {
    addFile: (f) => void q.insertFile.run(f),
    file: (fileId) => toFile(q.file.get(fileId)),
  };
}
