import { describe, expect, it } from 'vitest';
import { SlidingWindow, TokenBucket } from './rate-limit.js';

describe('TokenBucket', () => {
  it('serves the burst, then refuses with the time until the next token', () => {
    const b = new TokenBucket(20, 50, 0);
    for (let i = 0; i < 50; i++) expect(b.take(0).ok).toBe(true);
    expect(b.take(0)).toEqual({ ok: false, retryAfterMs: 50 });
    expect(b.take(49).ok).toBe(false);
    expect(b.take(50).ok).toBe(true);
  });

  it('never holds more than the burst', () => {
    const b = new TokenBucket(20, 5, 0);
    for (let i = 0; i < 5; i++) expect(b.take(1_000_000).ok).toBe(true);
    expect(b.take(1_000_000).ok).toBe(false);
  });
});

describe('SlidingWindow', () => {
  it('allows the limit within the window and reopens as hits age out', () => {
    const w = new SlidingWindow(3, 1000);
    expect(w.hit('ip', 0).ok).toBe(true);
    expect(w.hit('ip', 100).ok).toBe(true);
    expect(w.hit('ip', 200).ok).toBe(true);
    expect(w.hit('ip', 300)).toEqual({ ok: false, retryAfterMs: 700 });
    expect(w.hit('other', 300).ok).toBe(true);
    expect(w.hit('ip', 1000).ok).toBe(true);
  });

  it('check does not count; sweep forgets idle keys', () => {
    const w = new SlidingWindow(1, 1000);
    expect(w.check('k', 0).ok).toBe(true);
    expect(w.check('k', 0).ok).toBe(true);
    w.record('k', 0);
    expect(w.check('k', 10).ok).toBe(false);
    w.sweep(5000);
    expect(w.check('k', 5000).ok).toBe(true);
  });
});
