/**
 * Group commit: requests that arrive while earlier ones are being written wait and go together,
 * as one call to `write`. An idle writer sends a request at once (no added latency); under load a
 * batch grows to whatever arrived during one round trip, so a network store pays one round trip
 * and one commit per batch instead of per request. The callers of one batch are resumed in the
 * same turn of the event loop, which lets the fan-out behind them leave in one write per socket.
 *
 * Requests are written in the order they were submitted: one batch at a time, and `write` keeps
 * the order within a batch. A connection's posts rely on it (see Gateway: a post may start once
 * the one before is submitted). If `write` throws, each request of the batch is tried alone with
 * `single`, one after another (one bad request, a lost connection: each caller gets its own
 * answer, still in order).
 */
export interface GroupCommitOptions {
  /** Requests in one batch at most. */
  maxBatch: number;
  /** A batch failed (its requests are then tried alone). */
  onBatchError?: (err: unknown, size: number) => void;
}

interface Pending<I, O> {
  item: I;
  resolve(value: O): void;
  reject(err: unknown): void;
}

export class GroupCommit<I, O> {
  private readonly queue: Pending<I, O>[] = [];
  private writing = false;

  constructor(
    private readonly write: (items: I[]) => Promise<O[]>,
    private readonly single: (item: I) => Promise<O>,
    private readonly opts: GroupCommitOptions,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    if (this.writing || !this.queue.length) return;
    const batch = this.queue.splice(0, this.opts.maxBatch);
    this.writing = true;
    void this.run(batch).finally(() => {
      this.writing = false;
      this.pump();
    });
  }

  private async run(batch: Pending<I, O>[]): Promise<void> {
    if (batch.length > 1) {
      let results: O[] | undefined;
      try {
        results = await this.write(batch.map((p) => p.item));
      } catch (err) {
        // Falls through: each request alone, so one failure is reported to its own caller.
        this.opts.onBatchError?.(err, batch.length);
      }
      if (results && results.length === batch.length) {
        batch.forEach((p, i) => p.resolve(results[i]!));
        return;
      }
    }
    for (const p of batch) {
      try {
        p.resolve(await this.single(p.item));
      } catch (err) {
        p.reject(err);
      }
    }
  }
}
