import { describe, expect, it } from 'vitest';
import { highlight, queryWords } from './highlight';

const marked = (text: string, query: string, max?: number) =>
  highlight(text, query, max)
    .map((p) => (p.hit ? `[${p.text}]` : p.text))
    .join('');

describe('search highlight', () => {
  it('marks words starting with a query word, any case, accents or not', () => {
    expect(marked('The Pineapple pizza debate', 'pine PIZ')).toBe('The [Pineapple] [pizza] debate');
    expect(marked('Crème brûlée for dessert', 'creme brulee')).toBe('[Crème] [brûlée] for dessert');
    expect(marked('a pineapple, apple', 'apple')).toBe('a pineapple, [apple]');
  });

  it('takes query syntax as separators, like the server', () => {
    expect(queryWords('"pine* OR (x)')).toEqual(['pine', 'or', 'x']);
    expect(marked('it’s fine', "it's")).toBe('[it]’[s] fine');
  });

  it('cuts a long text around its first hit', () => {
    const text = `${'a '.repeat(200)}needle ${'b '.repeat(200)}`;
    const out = marked(text, 'needle', 40);
    expect(out.startsWith('…')).toBe(true);
    expect(out.endsWith('…')).toBe(true);
    expect(out).toContain('[needle]');
    expect(out.length).toBeLessThanOrEqual(40 + 4);
  });

  it('leaves a text without hits whole', () => {
    expect(highlight('nothing here', 'zzz')).toEqual([{ text: 'nothing here', hit: false }]);
  });
});
