import { gemoji } from 'gemoji';
import { describe, expect, it } from 'vitest';
import { replaceShortcodes, searchEmoji, shortcodeAt, shortcodeClosedAt } from './emoji-search';

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

  it('turns whole :shortcodes: into emoji, outside code, and leaves unknown ones', () => {
    expect(replaceShortcodes(gemoji, 'Hey Alice :wave: :tada: welcome :+1::TADA:')).toBe(
      'Hey Alice 👋 🎉 welcome 👍🎉',
    );
    expect(replaceShortcodes(gemoji, 'at 10:100:20, :not-an-emoji: and `:tada:`')).toBe(
      'at 10:100:20, :not-an-emoji: and `:tada:`',
    );
    expect(replaceShortcodes(gemoji, '```\n:tada:\n``` :tada:')).toBe('```\n:tada:\n``` 🎉');
  });

  it('knows a :shortcode: just closed before the caret', () => {
    expect(shortcodeClosedAt(gemoji, 'yes :tada:', 10)).toEqual({ start: 4, emoji: '🎉' });
    expect(shortcodeClosedAt(gemoji, 'yes :nope:', 10)).toBeNull();
    expect(shortcodeClosedAt(gemoji, 'at 10:30:', 9)).toBeNull();
  });
});
