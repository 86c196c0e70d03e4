// The design system (issue 22), end to end in Chromium through a real server: the component
// gallery in every theme, message density, the member list's roles and hover card, Settings'
// tabs, and toasts.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessibilityProblems } from '../helpers/axe.js';
import { CHROMIUM, HAVE_CHROMIUM, launchChromium } from '../helpers/chromium.js';
import {
  openAccountMenu,
  screenshotPath,
  seen,
  teamDesktop,
  type DesktopPage,
} from '../helpers/desktop-page.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const SEEN_MS = 15_000;

if (!HAVE_CHROMIUM) {
  console.log(`skipping the design-system tests: no browser at ${CHROMIUM}`);
}

/** #studio's row in the sidebar. */
function studioRow(page: Page) {
  return page.getByRole('navigation', { name: 'Conversation list' }).getByRole('button', {
    name: /#studio/,
  });
}

/** A box's height in CSS pixels. */
async function heightOf(page: Page, selector: string): Promise<number> {
  return page
    .locator(selector)
    .first()
    .evaluate((el) => el.getBoundingClientRect().height);
}

describe.skipIf(!HAVE_CHROMIUM)('the design system', () => {
  let server: TestServer;
  let browser: Browser;
  const d: Record<'ann' | 'ben', DesktopPage> = {} as never;

  beforeAll(async () => {
    server = await startTestServer();
    browser = await launchChromium();
    // Ann made the server's first account (its admin); Ben starts #studio (its creator).
    for (const [name, display] of [
      ['ann', 'Ann Smith'],
      ['ben', 'Ben Jones'],
    ] as const) {
      const { desk, accountId } = await teamDesktop(browser, server.url, {
        username: name,
        displayName: display,
        groups: name === 'ben' ? ['studio'] : [],
      });
      d[name] = desk;
      if (name === 'ben') {
        await desk.core.request(accountId, 'post', {
          to: { group: 'studio' },
          body: { text: 'First light on the new render.' },
          clientMsgId: 'ds-1',
        });
        await desk.core.request(accountId, 'post', {
          to: { group: 'studio' },
          body: { text: 'And a second line from me.' },
          clientMsgId: 'ds-2',
        });
      }
    }
    const annId = d.ann.core.listAccounts()[0]!.id;
    await d.ann.core.request(annId, 'join', { group: 'studio' });
    for (const desk of Object.values(d)) {
      await desk.page.reload();
      await seen(studioRow(desk.page));
    }
    await d.ann.context.grantPermissions(['clipboard-read', 'clipboard-write'], {
      origin: new URL(d.ann.page.url()).origin,
    });
  }, 60_000);

  afterAll(async () => {
    for (const desk of Object.values(d)) await desk.close();
    await browser?.close();
    await server?.stop();
  });

  it('the gallery shows every component in every theme, with no serious axe finding', async () => {
    const page = await d.ann.context.newPage();
    try {
      await page.goto(new URL('/?gallery', d.ann.page.url()).href);
      const columns = page.locator('.gallery-theme');
      await seen(columns.first());
      expect(
        await columns.evaluateAll((els) => els.map((e) => e.getAttribute('data-theme'))),
      ).toEqual(['light', 'dark', 'contrast']);
      // Each theme really draws differently: the column backgrounds differ.
      const backgrounds: string[] = await page.evaluate(
        `[...document.querySelectorAll('.gallery-theme')].map((e) => getComputedStyle(e).backgroundColor)`,
      );
      expect(new Set(backgrounds).size).toBe(3);
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        expect(await accessibilityProblems(page)).toEqual([]);
      }

      // Tabs: one tab stop; the arrow keys move the choice and show its panel.
      const light = columns.first();
      const tabs = light.getByRole('tablist');
      await tabs.getByRole('tab', { name: 'Profile' }).focus();
      await page.keyboard.press('ArrowRight');
      await seen(light.getByRole('tab', { name: 'Appearance', selected: true }));
      await seen(light.getByRole('tabpanel').filter({ hasText: 'second tab' }));
      await page.keyboard.press('End');
      await seen(light.getByRole('tab', { name: 'Calls', selected: true }));

      // An input breaking its rule says so under it, tied to it.
      const username = light.getByRole('textbox', { name: 'Username' });
      await username.fill('ann');
      expect(await username.getAttribute('aria-invalid')).toBe(null);
      await username.fill('Ann Smith');
      expect(await username.getAttribute('aria-invalid')).toBe('true');
      const rule = await username.getAttribute('aria-describedby');
      expect(await page.locator(`[id="${rule}"]`).textContent()).toContain('does not fit');

      // A toast appears in the corner, announced, and can be dismissed.
      await light.getByRole('button', { name: 'Show a toast' }).click();
      const region = page.locator('.toast-region').getByRole('status');
      await seen(region.getByText('Invite link copied.'));
      await region.getByRole('button', { name: 'Dismiss' }).click();
      await region.getByText('Invite link copied.').waitFor({ state: 'detached' });

      for (const width of [1280, 500]) {
        await page.setViewportSize({ width, height: 900 });
        await page.screenshot({ path: screenshotPath(`gallery-${width}`), fullPage: true });
      }
    } finally {
      await page.close();
    }
  }, 60_000);

  it('compact density drops the pictures and tightens the rows; comfortable brings them back', async () => {
    const a = d.ann.page;
    await a.setViewportSize({ width: 1280, height: 800 });
    await studioRow(a).click();
    const first = a.getByRole('article').filter({ hasText: 'First light' });
    await seen(first.locator('.avatar'));
    const comfortable = await heightOf(a, '.message.with-author');
    // A follower of the same speaker has no header, and its time waits in the gutter.
    const second = a.getByRole('article').filter({ hasText: 'a second line' });
    expect(await second.locator('header').count()).toBe(0);

    await openAccountMenu(a);
    await a.getByRole('button', { name: 'Settings' }).click();
    const settings = a.getByRole('dialog', { name: 'Settings' });
    await settings.getByRole('tab', { name: 'Appearance' }).click();
    await settings.getByRole('radio', { name: /^Compact/ }).click();
    await expect
      .poll(() => a.evaluate('document.documentElement.dataset.density ?? null'), {
        timeout: SEEN_MS,
      })
      .toBe('compact');
    await a.keyboard.press('Escape');
    await first.locator('.avatar').waitFor({ state: 'hidden' });
    const compact = await heightOf(a, '.message.with-author');
    expect(compact).toBeLessThan(comfortable);
    await a.screenshot({ path: screenshotPath('density-compact') });

    // Kept by the desktop: a reload still shows it compact.
    await a.reload();
    await expect
      .poll(() => a.evaluate('document.documentElement.dataset.density ?? null'), {
        timeout: SEEN_MS,
      })
      .toBe('compact');
    // The page remembers the look too, and draws it before the desktop's settings arrive: a
    // tab with no connection to the desktop at all (no key: it shows only an error) is compact.
    const bare = await d.ann.context.newPage();
    try {
      await bare.goto(new URL('/', a.url()).origin + '/');
      await seen(bare.getByRole('alert'));
      expect(await bare.evaluate('document.documentElement.dataset.density ?? null')).toBe(
        'compact',
      );
    } finally {
      await bare.close();
    }
    await openAccountMenu(a);
    await a.getByRole('button', { name: 'Settings' }).click();
    await settings.getByRole('tab', { name: 'Appearance' }).click();
    await settings.getByRole('radio', { name: /^Comfortable/ }).click();
    await expect
      .poll(() => a.evaluate('document.documentElement.dataset.density ?? null'), {
        timeout: SEEN_MS,
      })
      .toBe(null);
    await a.keyboard.press('Escape');
  }, 60_000);

  it('members show their role; resting on one opens a card about them', async () => {
    const a = d.ann.page;
    await studioRow(a).click();
    const members = a.getByRole('complementary', { name: 'Members of studio' });
    const ben = members.getByRole('button', { name: /^Ben Jones/ });
    await seen(ben.getByText('Creator'));
    await seen(members.getByRole('button', { name: /^Ann Smith/ }).getByText('Admin'));
    await ben.hover();
    const card = a.locator('.hover-card:not([hidden])');
    await seen(card);
    await seen(card.getByText('@ben'));
    await seen(card.getByText('Started this group.'));
    // The card describes the name's button for screen readers too.
    const describedBy = await ben.getAttribute('aria-describedby');
    expect(await card.getAttribute('id')).toBe(describedBy);
    await a.screenshot({ path: screenshotPath('member-hover-card') });
    // Escape hides it.
    await ben.focus();
    await a.keyboard.press('Escape');
    await card.waitFor({ state: 'hidden' });
  }, 30_000);

  it("a message's More menu copies its text, confirmed by a toast", async () => {
    const a = d.ann.page;
    await studioRow(a).click();
    const message = a.getByRole('article').filter({ hasText: 'First light' });
    await message.hover();
    await message.getByRole('button', { name: 'More message actions' }).click();
    await a.getByRole('menuitem', { name: 'Copy text' }).click();
    await seen(a.locator('.toast-region').getByText('Message text copied.'));
    expect(await a.evaluate('navigator.clipboard.readText()')).toBe(
      'First light on the new render.',
    );
    expect(d.ann.errors).toEqual([]);
    expect(d.ben.errors).toEqual([]);
  }, 30_000);
});
