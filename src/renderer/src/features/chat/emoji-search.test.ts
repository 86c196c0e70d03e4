import { gemoji } from 'gemoji';
import { describe, expect, it } from 'vitest';
import { searchEmoji, shortcodeAt } from './emoji-search';

describe('emoji search', () => {
  it('finds by shortcode start first, then by tag or description', () => {
    const thumbs = searchEmoji(gemoji, 'thumbsu');
    expect(thumbs[0]).toMatchObject({ emoji: '👍', name: '+1' });
    expect(searchEmoji(gemoji, ':tada:')[0]?.emoji).toBe('🎉');
    // "happy" is a tag of 😀, not a name.
    expect(searchEmoji(gemoji, 'happy', 50).map((m) => m.emoji)).toContain('😀');
    expect(searchEmoji(gemoji, '')).toEqual([]);
    expect(searchEmoji(gemoji, 'zzzzqq')).toEqual([]);
  });

  it('knows the :shortcode being typed before the caret', () => {
    expect(shortcodeAt('nice :ta', 8)).toEqual({ start: 5, query: 'ta' });
    expect(shortcodeAt(':+1', 3)).toEqual({ start: 0, query: '+1' });
    expect(shortcodeAt('at 10:30', 8)).toBeNull();
    expect(shortcodeAt('nice :t', 7)).toBeNull();
  });
});
