// The PostgreSQL store's query helpers: one pool, `one`/`all` rows, and transactions.
import pg from 'pg';

/** Every `bigint` here is a count, a seq or a millisecond time: well within 2^53. */
export const TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === pg.types.builtins.INT8) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

/** Same unique-key answer as SQLite's ON CONFLICT paths. */
export const UNIQUE_VIOLATION = '23505';
/** The advisory lock under which the first account is made administrator (one admin only). */
export const FIRST_ACCOUNT_LOCK = 7420_0001;

export type Queryable = Pick<pg.PoolClient, 'query'>;

/** What every repository gets: the pool and three ways to ask it. */
export interface PgQuery {
  pool: pg.Pool;
  one<R extends pg.QueryResultRow>(
    sql: string,
    args?: unknown[],
    db?: Queryable,
  ): Promise<R | undefined>;
  all<R extends pg.QueryResultRow>(sql: string, args?: unknown[], db?: Queryable): Promise<R[]>;
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  tx<T>(work: (db: pg.PoolClient) => Promise<T>): Promise<T>;
}

export function pgQuery(pool: pg.Pool): PgQuery {
  return {
    pool,
    async one<R extends pg.QueryResultRow>(
      sql: string,
      args: unknown[] = [],
      db: Queryable = pool,
    ) {
      return (await db.query<R>(sql, args)).rows[0];
    },
    async all<R extends pg.QueryResultRow>(
      sql: string,
      args: unknown[] = [],
      db: Queryable = pool,
    ) {
      return (await db.query<R>(sql, args)).rows;
    },
    async tx<T>(work: (db: pg.PoolClient) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
  };
}
