// Full-text search off the event loop (security review 3, F5). better-sqlite3 is synchronous:
// a search run on the server's own connection holds every other user's requests until it ends.
// Here searches run one at a time in a worker thread with its own read-only connection (WAL lets
// it read while the server writes), each with a deadline:
// - the worker stops reading hits once the deadline passes and answers what it found, so the
//   caller gets a page and a cursor to go on from;
// - if a single step of SQLite outlasts the deadline by far, the worker is abandoned (terminated,
//   and a new one started for the next search) and the caller is told it took too long (BUSY);
// - at most MAX_WAITING searches wait; beyond that the server is busy and says so.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { StoreBusyError } from '../store.js';

/** The worker's code, evaluated as a CommonJS script: no file to find in a bundled app. */
const WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 5000');
const statement = db.prepare(workerData.sql);
parentPort.on('message', (job) => {
  const rows = [];
  try {
    const stopAt = Date.now() + job.deadlineMs;
    for (const row of statement.iterate(...job.params)) {
      rows.push(row);
      if (rows.length >= job.limit || Date.now() >= stopAt) break;
    }
    parentPort.postMessage({ id: job.id, rows });
  } catch (err) {
    parentPort.postMessage({ id: job.id, error: String((err && err.message) || err) });
  }
});
`;

export interface SearchWorkerOptions {
  /** The database file (the server's, opened read-only). */
  file: string;
  /** The query; its parameters come with each job. */
  sql: string;
  /** A search reads hits for at most this long. */
  deadlineMs?: number;
  /** Searches waiting for the worker, at most. */
  maxWaiting?: number;
  /** How long past its deadline a search may go before its worker is abandoned. */
  abandonAfterMs?: number;
}

interface Job {
  id: number;
  params: unknown[];
  limit: number;
  resolve(rows: unknown[]): void;
  reject(err: Error): void;
}

const MAX_WAITING = 32;
const DEADLINE_MS = 500;
/** A worker that answers nothing this long after its deadline is stuck in one SQLite step. */
const ABANDON_AFTER_MS = 2_000;

export class SearchWorker {
  private worker: Worker | null = null;
  private running: Job | null = null;
  private readonly waiting: Job[] = [];
  private abandonTimer: NodeJS.Timeout | null = null;
  private nextId = 1;
  private closed = false;
  private readonly deadlineMs: number;
  private readonly maxWaiting: number;
  private readonly abandonAfterMs: number;

  constructor(private readonly opts: SearchWorkerOptions) {
    this.deadlineMs = opts.deadlineMs ?? DEADLINE_MS;
    this.maxWaiting = opts.maxWaiting ?? MAX_WAITING;
    this.abandonAfterMs = opts.abandonAfterMs ?? ABANDON_AFTER_MS;
  }

  /** Runs the query with `params` and answers at most `limit` rows. */
  run(params: unknown[], limit: number): Promise<unknown[]> {
    if (this.closed) return Promise.reject(new Error('the search worker is closed'));
    if (this.waiting.length >= this.maxWaiting) {
      return Promise.reject(
        new StoreBusyError('the server is busy searching; try again in a moment'),
      );
    }
    return new Promise((resolve, reject) => {
      this.waiting.push({ id: this.nextId++, params, limit, resolve, reject });
      this.pump();
    });
  }

  close(): Promise<void> {
    this.closed = true;
    for (const job of this.waiting.splice(0)) job.reject(new Error('the server is stopping'));
    this.running?.reject(new Error('the server is stopping'));
    this.running = null;
    return this.stopWorker();
  }

  private pump(): void {
    if (this.running || this.closed) return;
    const job = this.waiting.shift();
    if (!job) return;
    this.running = job;
    const worker = this.ensureWorker();
    worker.postMessage({
      id: job.id,
      params: job.params,
      limit: job.limit,
      deadlineMs: this.deadlineMs,
    });
    this.abandonTimer = setTimeout(() => this.abandon(), this.deadlineMs + this.abandonAfterMs);
    this.abandonTimer.unref();
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver, file: this.opts.file, sql: this.opts.sql },
    });
    worker.unref();
    worker.on('message', (m: { id: number; rows?: unknown[]; error?: string }) => {
      const job = this.running;
      if (!job || job.id !== m.id) return;
      this.finish();
      if (m.error !== undefined) job.reject(new Error(`search failed: ${m.error}`));
      else job.resolve(m.rows ?? []);
    });
    worker.on('error', (err) => this.fail(worker, err));
    worker.on('exit', () => this.fail(worker, new Error('the search worker stopped')));
    this.worker = worker;
    return worker;
  }

  private finish(): void {
    if (this.abandonTimer) clearTimeout(this.abandonTimer);
    this.abandonTimer = null;
    this.running = null;
    queueMicrotask(() => this.pump());
  }

  /** The worker died (or could not open the file): the search in hand fails, the next starts one. */
  private fail(worker: Worker, err: Error): void {
    if (this.worker !== worker) return;
    this.worker = null;
    const job = this.running;
    if (job) {
      this.finish();
      job.reject(err);
    }
  }

  private abandon(): void {
    const job = this.running;
    if (!job) return;
    const stuck = this.worker;
    this.worker = null;
    this.finish();
    void stuck?.terminate();
    job.reject(new StoreBusyError('that search took too long; add words to narrow it'));
  }

  private async stopWorker(): Promise<void> {
    if (this.abandonTimer) clearTimeout(this.abandonTimer);
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }
}
