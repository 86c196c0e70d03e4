// For vitest.postgres.config.ts: one private PostgreSQL for the whole run (each test server makes
// its own database on it), stopped at the end.
import type { TestProject } from 'vitest/node';
import { HAVE_POSTGRES, startPostgres } from './helpers/postgres.js';

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | void> {
  if (!HAVE_POSTGRES) {
    console.log('PostgreSQL run skipped: no PostgreSQL here (apt-get install postgresql)');
    return;
  }
  const pg = await startPostgres();
  project.provide('postgresUrl', pg.url);
  return () => pg.stop();
}
