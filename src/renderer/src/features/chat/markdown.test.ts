import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseInline, parseMessage, type Block, type Inline } from './markdown';

function plain(nodes: Inline[]): string {
  return nodes
    .map((n) =>
      'text' in n ? n.text : n.type === 'mention' ? `@${n.username}` : plain(n.children),
    )
    .join('');
}

describe('the message markdown subset', () => {
  it('parses the supported marks', () => {
    expect(parseInline('a **b** *c* _d_ ~~e~~ `f`')).toEqual([
      { type: 'text', text: 'a ' },
      { type: 'bold', children: [{ type: 'text', text: 'b' }] },
      { type: 'text', text: ' ' },
      { type: 'italic', children: [{ type: 'text', text: 'c' }] },
      { type: 'text', text: ' ' },
      { type: 'italic', children: [{ type: 'text', text: 'd' }] },
      { type: 'text', text: ' ' },
      { type: 'strike', children: [{ type: 'text', text: 'e' }] },
      { type: 'text', text: ' ' },
      { type: 'code', text: 'f' },
    ]);
  });

  it('marks @mentions, not e-mail addresses, and leaves a final dot as punctuation', () => {
    expect(parseInline('hi @bob.smith, and @ann.')).toEqual([
      { type: 'text', text: 'hi ' },
      { type: 'mention', username: 'bob.smith' },
      { type: 'text', text: ', and ' },
      { type: 'mention', username: 'ann' },
      { type: 'text', text: '.' },
    ]);
    expect(parseInline('mail ann@example.org or @ alone')).toEqual([
      { type: 'text', text: 'mail ann@example.org or @ alone' },
    ]);
    expect(parseInline('**@bob**')).toEqual([
      { type: 'bold', children: [{ type: 'mention', username: 'bob' }] },
    ]);
  });

  it('links http, https and mailto only; anything else stays text', () => {
    expect(parseInline('[docs](https://example.org/a_b)')).toEqual([
      { type: 'link', href: 'https://example.org/a_b', children: [{ type: 'text', text: 'docs' }] },
    ]);
    expect(parseInline('see https://example.org/x.')).toEqual([
      { type: 'text', text: 'see ' },
      {
        type: 'link',
        href: 'https://example.org/x',
        children: [{ type: 'text', text: 'https://example.org/x' }],
      },
      { type: 'text', text: '.' },
    ]);
    for (const evil of [
      '[x](javascript:alert(1))',
      '[x](file:///etc/passwd)',
      '[x](data:text/html,hi)',
    ]) {
      expect(parseInline(evil).some((n) => n.type === 'link')).toBe(false);
    }
  });

  it('leaves snake_case, lone stars and HTML as text', () => {
    expect(parseInline('a_snake_case_name')).toEqual([{ type: 'text', text: 'a_snake_case_name' }]);
    expect(parseInline('2 * 3 * 4')).toEqual([{ type: 'text', text: '2 * 3 * 4' }]);
    expect(parseInline('<img src=x onerror=alert(1)>')).toEqual([
      { type: 'text', text: '<img src=x onerror=alert(1)>' },
    ]);
  });

  it('splits fenced code blocks from paragraphs', () => {
    expect(parseMessage('before\n```js\nconst a = 1;\n```\nafter')).toEqual([
      { type: 'paragraph', children: [{ type: 'text', text: 'before' }] },
      { type: 'codeblock', text: 'const a = 1;' },
      { type: 'paragraph', children: [{ type: 'text', text: 'after' }] },
    ]);
  });

  it('parses quotes and bulleted and numbered lists, nested one level', () => {
    expect(parseMessage('> quoted **line**\n>second\nafter')).toEqual([
      {
        type: 'quote',
        children: [
          { type: 'text', text: 'quoted ' },
          { type: 'bold', children: [{ type: 'text', text: 'line' }] },
          { type: 'text', text: '\nsecond' },
        ],
      },
      { type: 'paragraph', children: [{ type: 'text', text: 'after' }] },
    ]);
    const text = (t: string) => [{ type: 'text', text: t }];
    expect(parseMessage('Plan:\n- one\n  1. sub a\n  2. sub b\n\n* two\nend')).toEqual([
      { type: 'paragraph', children: text('Plan:') },
      {
        type: 'list',
        ordered: false,
        start: 1,
        items: [
          {
            children: text('one'),
            sublist: {
              type: 'list',
              ordered: true,
              start: 1,
              items: [{ children: text('sub a') }, { children: text('sub b') }],
            },
          },
          { children: text('two') },
        ],
      },
      { type: 'paragraph', children: text('end') },
    ]);
    expect(parseMessage('3. third\n4) fourth')).toEqual([
      {
        type: 'list',
        ordered: true,
        start: 3,
        items: [{ children: text('third') }, { children: text('fourth') }],
      },
    ]);
    // Markers without a space after them, and a sub-item with no item above it, stay as written.
    expect(parseMessage('*italic* and -5 °C')[0]?.type).toBe('paragraph');
    expect(parseMessage('   - lonely')).toMatchObject([{ type: 'list', items: [{}] }]);
    expect(parseMessage('```\n- not a list\n```')).toEqual([
      { type: 'codeblock', text: '- not a list' },
    ]);
  });

  it('block parsing takes 64 KiB of mixed markers in one pass, line by line', () => {
    // 64 KiB of alternating markers: every line lands in the right block. (The cost bound is the
    // parser's single loop over the lines; no clock is read here.)
    const nasty = '- a\n  - b\n> c\n1. d\n'.repeat(3000);
    const blocks = parseMessage(nasty);
    expect(blocks).toHaveLength(3000 * 3);
    expect(blocks[0]).toMatchObject({ type: 'list', items: [{ sublist: { items: [{}] } }] });
  });

  it('never throws, keeps every letter, and links only safe schemes (fast-check)', () => {
    const chars = ['*', '_', '~', '`', '(', ')', 'h', 't', 'p', 's', ':', '/', 'a', ' ', '\n', '<'];
    const text = (extra: string[]) =>
      fc.array(fc.constantFrom(...chars, ...extra), { maxLength: 200 }).map((a) => a.join(''));
    const letters = (s: string) => s.replace(/[^a-z<]/g, '');
    // Without [text](url) links, marks are the only thing removed: every letter is still shown.
    fc.assert(
      fc.property(text([]), (t) => {
        expect(letters(plain(parseInline(t)))).toBe(letters(t));
      }),
      { numRuns: 2000, seed: 7 },
    );
    fc.assert(
      fc.property(text(['[', ']', 'j', 'v', 'm', 'i', 'l']), (t) => {
        const walk = (ns: Inline[]): void => {
          for (const n of ns) {
            if (n.type === 'link') expect(n.href).toMatch(/^(https?:\/\/|mailto:)/);
            if ('children' in n) walk(n.children);
          }
        };
        walk(parseInline(t));
      }),
      { numRuns: 2000, seed: 7 },
    );
    // The same for whole messages with quotes and lists: only markers go.
    const blockChars = ['-', '>', '1', '.', ' ', '\n', 'a', 'b', '*', '`'];
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...blockChars), { maxLength: 200 }).map((a) => a.join('')),
        (t) => {
          const shown = (bs: Block[]): string =>
            bs
              .map((b) =>
                b.type === 'list'
                  ? b.items.map((i) => plain(i.children) + shown(i.sublist ? [i.sublist] : []))
                  : b.type === 'codeblock'
                    ? b.text
                    : plain(b.children),
              )
              .join('');
          expect(shown(parseMessage(t)).replace(/[^ab]/g, '')).toBe(t.replace(/[^ab]/g, ''));
        },
      ),
      { numRuns: 2000, seed: 7 },
    );
  });
});

describe('links and spans from a hostile sender (security review L4, L5)', () => {
  it('link text that names another host shows the host it really opens', () => {
    const [l] = parseInline('[https://bank.example/login](https://evil.example/phish)');
    expect(l).toEqual({
      type: 'link',
      href: 'https://evil.example/phish',
      children: [
        { type: 'text', text: 'https://bank.example/login' },
        { type: 'text', text: ' (evil.example)' },
      ],
    });
    // Text that names the same host, or no host, is left as written.
    expect(parseInline('[docs](https://example.org/d)')[0]).toMatchObject({
      children: [{ type: 'text', text: 'docs' }],
    });
    expect(parseInline('[example.org/d](https://example.org/d)')[0]).toMatchObject({
      children: [{ type: 'text', text: 'example.org/d' }],
    });
  });

  it('an emphasis span ends within 1,000 characters, so an unclosed marker costs little', () => {
    expect(parseInline(`**${'a'.repeat(999)}**`)[0]?.type).toBe('bold');
    expect(parseInline(`**${'a'.repeat(1200)}**`)[0]?.type).toBe('text');
    // The review's input: 16 KiB of `**a ` stays text (and no longer scans to the end each time).
    const nasty = '**a '.repeat(4096);
    expect(parseInline(nasty)).toEqual([{ type: 'text', text: nasty }]);
  });
});
