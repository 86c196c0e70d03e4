import { describe, expect, it } from 'vitest';
import { mentionAt, mentionCandidates, mentions } from './mentions.js';

describe('mentions', () => {
  it('finds @username as a word, any case; not in addresses or longer names', () => {
    expect(mentions('hi @Bob.S!', 'bob.s')).toBe(true);
    expect(mentions('(@bob)', 'bob')).toBe(true);
    expect(mentions('bob@example.org', 'bob')).toBe(false);
    expect(mentions('@bobby', 'bob')).toBe(false);
    expect(mentions('@bob-2', 'bob')).toBe(false);
  });

  it('knows the @word being typed before the caret', () => {
    expect(mentionAt('hello @al', 9)).toEqual({ start: 6, query: 'al' });
    expect(mentionAt('@', 1)).toEqual({ start: 0, query: '' });
    expect(mentionAt('mail a@b', 8)).toBeNull();
    expect(mentionAt('hello @al and more', 18)).toBeNull();
    expect(mentionAt('hello @al and more', 9)).toEqual({ start: 6, query: 'al' });
  });

  it('offers members by username or a word of their name, once each, not oneself', () => {
    const members = [
      { user_id: 'u1', username: 'alice', displayName: 'Alice Liddell' },
      { user_id: 'u1', username: 'alice', displayName: 'Alice Liddell' }, // a second connection
      { user_id: 'u2', username: 'lid', displayName: 'Someone' },
      { user_id: 'u3', username: 'me', displayName: 'Me Myself' },
      { user_id: 'u4', displayName: 'No username (old server)' },
    ];
    expect(mentionCandidates(members, 'lid', 'u3').map((m) => m.username)).toEqual([
      'alice',
      'lid',
    ]);
    expect(mentionCandidates(members, '', 'u3').map((m) => m.username)).toEqual(['alice', 'lid']);
    expect(mentionCandidates(members, 'me', 'u3')).toEqual([]);
  });
});
