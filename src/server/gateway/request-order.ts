// The order a connection's requests are served in. With a networked store a later request could
// otherwise finish first (two posts stored out of the order they were sent). Consecutive posts
// overlap their checks, and each hands its message to the store only after the post before it
// has (the store keeps that order: group commit), so a client's burst is stored in a few round
// trips and fanned out in a few turns instead of one of each per message. Anything else waits
// for everything before it to finish, and everything after it waits for it.
import type { RequestOrder } from '../hub/index.js';

export class RequestQueue {
  private work: Promise<void> = Promise.resolve();
  /** Requests started and not finished. */
  private readonly inFlight = new Set<Promise<void>>();
  /** Settles once the latest post has handed its message to the store (or finished). */
  private lastPost: Promise<void> = Promise.resolve();

  /** Serves a request in its turn; `pipelined` ones (posts) overlap each other. */
  enqueue(pipelined: boolean, serve: (order: RequestOrder) => Promise<void>): void {
    this.work = this.work.then(async () => {
      if (!pipelined) await Promise.all(this.inFlight);
      let queued!: () => void;
      const handedOver = new Promise<void>((resolve) => (queued = resolve));
      const before = this.lastPost;
      const done = serve({ before, queued });
      this.inFlight.add(done);
      void done.finally(() => this.inFlight.delete(done));
      // A post that fails its checks early must not let the next overtake the one before it.
      if (pipelined) this.lastPost = before.then(() => Promise.race([handedOver, done]));
      else await done;
    });
  }

  /** Resolves when every request enqueued so far has been answered. */
  async idle(): Promise<void> {
    await this.work;
    await Promise.all(this.inFlight);
  }
}
