// For vitest.cluster.config.ts: one private PostgreSQL and one private Redis for the whole run
// (each test server makes its own database and uses a cluster name of its own), stopped at the
// end. The multi-process fault tests in tests/cluster start their own.
import type { TestProject } from 'vitest/node';
import { HAVE_POSTGRES, startPostgres } from './helpers/postgres.js';
import { HAVE_REDIS, startRedis } from './helpers/redis.js';

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | void> {
  if (!HAVE_POSTGRES || !HAVE_REDIS) {
    console.log('cluster run skipped: needs PostgreSQL and redis-server (see .ci/run)');
    return;
  }
  const pg = await startPostgres();
  const redis = await startRedis();
  project.provide('postgresUrl', pg.url);
  project.provide('redisUrl', redis.url);
  return async () => {
    await redis.stop();
    await pg.stop();
  };
}
