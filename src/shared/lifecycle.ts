// The one disposal primitive (after VS Code's base/common/lifecycle.ts): everything that
// subscribes returns a Disposable, and everything that holds subscriptions owns one
// DisposableStore and disposes it once. Runs anywhere.

export interface Disposable {
  dispose(): void;
}

/** A Disposable that runs `fn` the first time it is disposed, and never again. */
export function toDisposable(fn: () => void): Disposable {
  let done = false;
  return {
    dispose() {
      if (done) return;
      done = true;
      fn();
    },
  };
}

/**
 * Holds disposables and disposes them together, newest first (what was set up last depends on
 * what came before). Adding to a disposed store disposes the newcomer at once, so a subscription
 * that lands after teardown cannot leak.
 */
export class DisposableStore implements Disposable {
  private readonly items = new Set<Disposable>();
  private disposed = false;

  get isDisposed(): boolean {
    return this.disposed;
  }

  get size(): number {
    return this.items.size;
  }

  add<T extends Disposable>(item: T): T {
    if (this.disposed) item.dispose();
    else this.items.add(item);
    return item;
  }

  /** Registers a teardown function; answers the Disposable that runs it. */
  addFn(fn: () => void): Disposable {
    return this.add(toDisposable(fn));
  }

  /** Disposes one item now and forgets it. */
  delete(item: Disposable): void {
    if (this.items.delete(item)) item.dispose();
  }

  /** Disposes everything held so far; the store stays usable. */
  clear(): void {
    const items = [...this.items].reverse();
    this.items.clear();
    let failure: unknown;
    for (const item of items) {
      try {
        item.dispose();
      } catch (err) {
        failure ??= err;
      }
    }
    if (failure !== undefined) throw failure;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.clear();
  }
}
