import { describe, expect, it } from 'vitest';
import { parseIceLines } from './CallSettings';

describe('ICE servers typed in Settings', () => {
  it('reads one server per line, TURN with its user name and credential', () => {
    expect(parseIceLines('stun:stun.example.org:3478\n\n turn:turn.example.org u secret ')).toEqual(
      [
        { urls: 'stun:stun.example.org:3478' },
        { urls: 'turn:turn.example.org', username: 'u', credential: 'secret' },
      ],
    );
    expect(parseIceLines('')).toEqual([]);
  });

  it('says which line is wrong, and why', () => {
    expect(parseIceLines('stun:ok\nhttp://nope')).toMatch(/^Line 2: /);
    expect(parseIceLines('turn:t.example.org onlyuser')).toBe(
      'Line 1: a TURN user name needs its credential too.',
    );
  });
});
