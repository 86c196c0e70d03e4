import { describe, expect, it } from 'vitest';
import { DisposableStore, toDisposable } from './lifecycle.js';

describe('DisposableStore', () => {
  it('disposes newest first, once, and keeps disposing after one throws', () => {
    const order: string[] = [];
    const store = new DisposableStore();
    store.addFn(() => order.push('a'));
    store.addFn(() => {
      order.push('b');
      throw new Error('boom');
    });
    store.addFn(() => order.push('c'));
    expect(() => store.dispose()).toThrow('boom');
    expect(order).toEqual(['c', 'b', 'a']);
    store.dispose();
    expect(order).toEqual(['c', 'b', 'a']);
  });

  it('disposes what is added after it was disposed', () => {
    const store = new DisposableStore();
    store.dispose();
    let disposed = false;
    store.addFn(() => (disposed = true));
    expect(disposed).toBe(true);
    expect(store.size).toBe(0);
  });

  it('delete disposes one item; clear leaves the store usable', () => {
    const store = new DisposableStore();
    let n = 0;
    const one = store.addFn(() => n++);
    store.addFn(() => n++);
    store.delete(one);
    expect(n).toBe(1);
    store.clear();
    expect(n).toBe(2);
    store.addFn(() => n++);
    expect(store.size).toBe(1);
  });

  it('toDisposable runs its function once', () => {
    let n = 0;
    const d = toDisposable(() => n++);
    d.dispose();
    d.dispose();
    expect(n).toBe(1);
  });
});
