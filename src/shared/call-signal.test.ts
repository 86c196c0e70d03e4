import { describe, expect, it } from 'vitest';
import { parseCallSignal } from './call-signal.js';

describe('call signals from another client', () => {
  it('takes the signals of the contract', () => {
    expect(parseCallSignal({ kind: 'ring', video: true, name: 'Ann', group: 'team' })).toEqual({
      kind: 'ring',
      video: true,
      name: 'Ann',
      group: 'team',
    });
    expect(parseCallSignal({ kind: 'sdp', data: { type: 'offer', sdp: 'v=0' } })?.kind).toBe('sdp');
    expect(
      parseCallSignal({
        kind: 'roster',
        members: [{ user_id: 'u', cid: 'c', name: 'n' }],
        offer: true,
      }),
    ).toMatchObject({ kind: 'roster' });
  });

  it('refuses anything else, without throwing', () => {
    for (const raw of [
      null,
      'ring',
      { kind: 'ring', video: 'yes', name: 'Ann' },
      { kind: 'ring', video: true, name: 'x'.repeat(300) },
      { kind: 'decline', reason: 'because' },
      { kind: 'roster', members: 'everyone', offer: true },
      {
        kind: 'roster',
        members: Array.from({ length: 30 }, () => ({ user_id: 'u', cid: 'c', name: '' })),
        offer: true,
      },
      { kind: 'explode' },
    ]) {
      expect(parseCallSignal(raw)).toBeNull();
    }
  });
});
