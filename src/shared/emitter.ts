// A small typed event emitter whose subscriptions are disposables. Runs anywhere.

import type { Disposable } from './lifecycle.js';

export type { Disposable } from './lifecycle.js';

export class Emitter<Events extends { [K in keyof Events]: unknown }> {
  private readonly listeners = new Map<keyof Events, Set<(value: never) => void>>();

  on<E extends keyof Events>(event: E, listener: (value: Events[E]) => void): Disposable {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as (value: never) => void);
    return {
      dispose: () => void this.listeners.get(event)?.delete(listener as (value: never) => void),
    };
  }

  emit<E extends keyof Events>(event: E, value: Events[E]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      (listener as (value: Events[E]) => void)(value);
    }
  }

  listenerCount(event?: keyof Events): number {
    if (event !== undefined) return this.listeners.get(event)?.size ?? 0;
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }

  clear(): void {
    this.listeners.clear();
  }
}
