// The base of the page's stores: one immutable state, patched by `set`, published to React about
// once a frame at most (1,000 incoming messages a second must not mean 1,000 renders a second),
// and one DisposableStore for everything the store subscribes to.
import { DisposableStore } from '../../../shared/lifecycle';

type Listener = () => void;
export type Scheduler = (flush: () => void) => void;

const FRAME_MS = 16;

export class StoreBase<S extends object> {
  protected state: S;
  protected readonly disposables = new DisposableStore();
  private readonly listeners = new Set<Listener>();
  private readonly beforePublish: (() => void)[] = [];
  private scheduled = false;

  constructor(
    initial: S,
    /** How a change is published (frameScheduler by default; tests publish at once). */
    private readonly schedule: Scheduler = frameScheduler(),
  ) {
    this.state = initial;
  }

  readonly subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  };

  readonly getState = (): S => this.state;

  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Patches the state now; React hears of it at the next publish. */
  readonly set = (patch: Partial<S>): void => {
    this.put({ ...this.state, ...patch });
  };

  /** Replaces the whole state (keys it lacks are gone); React hears of it at the next publish. */
  protected put(state: S): void {
    this.state = state;
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(() => {
      this.scheduled = false;
      for (const fn of this.beforePublish) fn();
      for (const l of [...this.listeners]) l();
    });
  }

  /** Replaces the state without asking for a publish (work folded into one already asked). */
  protected replace(state: S): void {
    this.state = state;
  }

  /** Runs before each publish: batched work (live messages) lands in the state it publishes. */
  protected onBeforePublish(fn: () => void): void {
    this.beforePublish.push(fn);
  }

  /**
   * Lets go of everything the store subscribed to. Cleared, not disposed for good: React's
   * development mode runs an effect's setup, teardown and setup again, and the store must start
   * listening again after that.
   */
  dispose(): void {
    this.disposables.clear();
  }
}

/**
 * Publishes at once (after the current task) when nothing was published for a frame, so a lone
 * message shows without waiting; otherwise on the next frame, so a flood costs one render a
 * frame, not one per message.
 */
export function frameScheduler(): Scheduler {
  let last = -Infinity;
  return (flush) => {
    const run = () => {
      last = performance.now();
      flush();
    };
    if (performance.now() - last >= FRAME_MS) queueMicrotask(run);
    // A hidden page gets no animation frames; a timer still publishes there.
    else if (document.visibilityState === 'visible') requestAnimationFrame(run);
    else setTimeout(run, 50);
  };
}
