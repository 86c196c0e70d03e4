// axe-core run inside a page: the serious and critical findings, as lines a test can compare
// with [] (and print when it fails).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical findings on the page as it is now. */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  // A dialog or toast fading in is see-through for a moment, and axe would measure the contrast
  // of its half-drawn text: let every entrance animation finish first (not the endless ones,
  // such as a skeleton's shimmer).
  await page.evaluate(() => {
    type Running = {
      finished: Promise<unknown>;
      effect: { getComputedTiming(): { iterations?: number } } | null;
    };
    const doc = (globalThis as unknown as { document: { getAnimations(): Running[] } }).document;
    return Promise.all(
      doc
        .getAnimations()
        .filter((a) => a.effect?.getComputedTiming().iterations !== Infinity)
        .map((a) => a.finished.catch(() => undefined)),
    );
  });
  // page.evaluate is not subject to the page's CSP, which forbids injected scripts.
  await page.evaluate(AXE);
  return page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: {
          run(ctx: unknown): Promise<{
            violations: {
              id: string;
              impact: string;
              help: string;
              nodes: { target: string[] }[];
            }[];
          }>;
        };
      }
    ).axe;
    const result = await axe.run((globalThis as unknown as { document: unknown }).document);
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map(
        (v) =>
          `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
      );
  });
}
