// Files: attachments' records (their bytes are in the BlobStore).
import { toFile, type FileRow } from '../rows.js';
import { FILE_MIN_CHARGE, type FileRepo } from '../store.js';
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
    storageUsed: async (userId) =>
      Number(
        (
          await one<{ n: string }>(
            `SELECT coalesce(sum(greatest(size, ${FILE_MIN_CHARGE})), 0) AS n FROM files
              WHERE uploader_id = $1`,
            [userId],
          )
        )?.n ?? 0,
      ),
    takeUnattachedFiles: async (before, limit) =>
      (
        await pool.query<{ file_id: string }>(
          `DELETE FROM files WHERE file_id IN (SELECT file_id FROM files
             WHERE message_id IS NULL AND created_at < $1 LIMIT $2) RETURNING file_id`,
          [before, limit],
        )
      ).rows.map((r) => r.file_id),
  };
}
