// Files: attachments' records (their bytes are in the BlobStore).
import { toFile, type FileRow } from '../rows.js';
import type { FileRepo } from '../store.js';
import type { PgQuery } from './query.js';

export function postgresFiles({ pool, one }: PgQuery): FileRepo {
  return {
    addFile: async (f) => {
      await pool.query(
        `INSERT INTO files (file_id, conv_id, uploader_id, name, type, size, sha256, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [f.fileId, f.convId, f.uploaderId, f.name, f.type, f.size, f.sha256, f.createdAt],
      );
    },
    file: async (fileId) =>
      toFile(await one<FileRow>('SELECT * FROM files WHERE file_id = $1', [fileId])),
  };
}
