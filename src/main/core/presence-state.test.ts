import { describe, expect, it } from 'vitest';
import { PresenceState } from './presence-state.js';

describe('PresenceState', () => {
  it('follows presence updates and member lists, and forgets on clear', () => {
    const p = new PresenceState();
    p.learn([
      { user_id: 'u1', cid: 'c1', displayName: 'A', status: 'online' },
      { user_id: 'u1', cid: 'c2', displayName: 'A', status: 'online' },
      { user_id: 'u2', cid: null, displayName: 'B', status: 'offline' },
    ]);
    expect(p.list()).toEqual([
      { userId: 'u1', status: 'online' },
      { userId: 'u2', status: 'offline' },
    ]);
    expect(
      p.apply({
        type: 'event',
        event: 'presence:update',
        data: { user_id: 'u2', cid: 'c9', status: 'busy', text: 'call' },
      }),
    ).toBe(true);
    expect(p.list()).toContainEqual({ userId: 'u2', status: 'busy', text: 'call' });
    p.clear();
    expect(p.list()).toEqual([]);
  });
});
