import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EventMessage } from './broker.js';
import { TopicSequencer, type StreamSource } from './sequencer.js';

const ROOM = 'group:g';
const msg = (seq: number): EventMessage => ({
  event: 'message:send',
  room: ROOM,
  seq,
  frame: `{"seq":${seq}}`,
});

/** A store holding seqs 1..head (head grows as the "publisher" commits). */
function store(initial = 0) {
  const state = { head: initial, reads: 0, fail: false };
  const source: StreamSource = {
    heads: async () => new Map([[ROOM, state.head]]),
    eventsAfter: async (_topic, _room, seq, limit) => {
      state.reads++;
      if (state.fail) throw new Error('store down');
      const out: EventMessage[] = [];
      for (let s = seq + 1; s <= Math.min(state.head, seq + limit); s++) out.push(msg(s));
      return out;
    },
  };
  return { state, source };
}

function sequencer(source: StreamSource, onStuck = () => undefined) {
  const delivered: number[] = [];
  const seq = new TopicSequencer('g:g', source, (m) => delivered.push(m.seq!), {
    holdMs: 5,
    stuckMs: 1000,
    stuckEvents: 1000,
    onStuck,
    onError: () => undefined,
  });
  return { seq, delivered };
}

const settle = (ms = 25) => new Promise((r) => setTimeout(r, ms));

describe('TopicSequencer', () => {
  it('starts after the snapshot: older events are dropped, newer ones delivered in order', async () => {
    const { state, source } = store(3);
    const { seq, delivered } = sequencer(source);
    seq.push(msg(2)); // arrived before the snapshot: the snapshot covers it
    await seq.start();
    seq.push(msg(4));
    seq.push(msg(3)); // a duplicate of what the snapshot covered
    state.head = 5;
    seq.push(msg(5));
    expect(delivered).toEqual([4, 5]);
  });

  it('whatever the broker does (reorder, duplicate, lose), listeners get every seq once, in order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ seq: fc.integer({ min: 1, max: 40 }), keep: fc.boolean() }), {
          maxLength: 80,
        }),
        async (arrivals) => {
          const { state, source } = store(0);
          const { seq, delivered } = sequencer(source);
          await seq.start();
          // The store has everything up to the highest seq anyone published.
          state.head = Math.max(0, ...arrivals.map((a) => a.seq));
          for (const a of arrivals) if (a.keep) seq.push(msg(a.seq));
          // A resync (reconnect, canary) catches what was lost with no later event after it.
          await seq.resync();
          await settle();
          expect(delivered).toEqual(Array.from({ length: state.head }, (_, i) => i + 1));
          seq.dispose();
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a head hint fills at once; a failing store is retried until it answers', async () => {
    const { state, source } = store(0);
    const { seq, delivered } = sequencer(source);
    await seq.start();
    state.head = 3;
    state.fail = true;
    seq.head(ROOM, 3);
    await settle(10);
    expect(delivered).toEqual([]);
    state.fail = false;
    await settle(60);
    expect(delivered).toEqual([1, 2, 3]);
  });

  it('gives up past its limit of waiting events and tells the listeners', async () => {
    const { source } = store(0);
    let stuck = 0;
    const delivered: number[] = [];
    const seq = new TopicSequencer('g:g', source, (m) => delivered.push(m.seq!), {
      holdMs: 1000,
      stuckMs: 5000,
      stuckEvents: 10,
      onStuck: () => stuck++,
      onError: () => undefined,
    });
    await seq.start();
    for (let s = 2; s <= 12; s++) seq.push(msg(s)); // 1 never comes, and the store lacks it
    expect(stuck).toBe(1);
    seq.push(msg(13));
    expect(delivered).toEqual([13]);
    seq.dispose();
  });
});
