import { describe, expect, test } from 'vitest';
import { GroupCommit } from './group-commit.js';

/** A writer whose calls finish only when the test says so, recording what each call got. */
function gatedWriter() {
  const calls: number[][] = [];
  const gates: (() => void)[] = [];
  let failBatches = false;
  const write = async (items: number[]) => {
    calls.push(items);
    await new Promise<void>((r) => gates.push(r));
    if (failBatches) throw new Error('batch failed');
    return items.map((n) => n * 10);
  };
  return {
    calls,
    write,
    open: () => gates.splice(0).forEach((g) => g()),
    failBatches: () => (failBatches = true),
  };
}

const tick = () => new Promise((r) => setImmediate(r));

/** A GroupCommit over a gated writer; a lone item goes through the writer too, unless told. */
function committer(
  w: ReturnType<typeof gatedWriter>,
  maxBatch: number,
  single = async (n: number) => (await w.write([n]))[0]!,
) {
  return new GroupCommit<number, number>((items) => w.write(items), single, { maxBatch });
}

describe('GroupCommit', () => {
  test('an idle writer takes a request at once; requests arriving meanwhile go together', async () => {
    const w = gatedWriter();
    const gc = committer(w, 100);
    const first = gc.submit(1);
    await tick();
    expect(w.calls).toEqual([[1]]);
    const rest = [2, 3, 4, 5].map((n) => gc.submit(n));
    await tick();
    expect(w.calls).toHaveLength(1); // one batch at a time: the others wait
    w.open();
    await tick();
    expect(w.calls).toEqual([[1], [2, 3, 4, 5]]);
    w.open();
    expect(await Promise.all([first, ...rest])).toEqual([10, 20, 30, 40, 50]);
  });

  test('one batch at a time, bounded in size, in the order submitted', async () => {
    const w = gatedWriter();
    const gc = committer(w, 3);
    const all = Array.from({ length: 8 }, (_, i) => gc.submit(i));
    for (let i = 0; i < 10 && w.calls.length < 4; i++) {
      await tick();
      w.open();
    }
    expect(w.calls).toEqual([[0], [1, 2, 3], [4, 5, 6], [7]]);
    w.open();
    expect(await Promise.all(all)).toEqual(Array.from({ length: 8 }, (_, i) => i * 10));
  });

  test('a failed batch is retried one by one, in order; each caller gets its own answer', async () => {
    const w = gatedWriter();
    const singles: number[] = [];
    const gc = committer(w, 100, async (n) => {
      singles.push(n);
      if (n === 3) throw new Error('three is refused');
      return n * 100;
    });
    const first = gc.submit(1);
    const rest = [2, 3, 4].map((n) => gc.submit(n));
    expect(await first).toBe(100); // alone: straight to `single`
    w.failBatches();
    await tick();
    expect(w.calls).toEqual([[2, 3, 4]]);
    w.open();
    const settled = await Promise.allSettled(rest);
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : String(s.reason)))).toEqual([
      200,
      'Error: three is refused',
      400,
    ]);
    expect(singles).toEqual([1, 2, 3, 4]);
  });

  test('a batch answering the wrong number of results is not trusted', async () => {
    const gc = new GroupCommit<number, number>(
      async (items) => items.slice(1),
      async (n) => -n,
      { maxBatch: 100 },
    );
    expect(await Promise.all([1, 2, 3].map((n) => gc.submit(n)))).toEqual([-1, -2, -3]);
  });
});
