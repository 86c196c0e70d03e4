// The first week of a team of three (shared/reviews/ux-3.md, issue 21), end to end: each person
// with their own desktop core, web host and Chromium context, through a real server.
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, HAVE_CHROMIUM, launchChromium } from '../helpers/chromium.js';
import {
  openDesktop,
  screenshotPath,
  signUpThroughCore,
  type DesktopPage,
  seen,
} from '../helpers/desktop-page.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const SEEN_MS = 15_000;

if (!HAVE_CHROMIUM) {
  console.log(
    `skipping the first-week tests: no browser at ${CHROMIUM} (apt-get install chromium)`,
  );
}

/** The presence dot of a dm row in the sidebar, as its title says it. */
function dmRowDot(page: Page, name: string): Locator {
  return page.locator('button.conversation', { hasText: name }).locator('.dot');
}

describe.skipIf(!HAVE_CHROMIUM)('a team of three, first week', () => {
  let server: TestServer;
  let browser: Browser;
  const d: Record<'ann' | 'ben' | 'cat', DesktopPage> = {} as never;

  beforeAll(async () => {
    server = await startTestServer();
    browser = await launchChromium();
    for (const [name, display] of [
      ['ann', 'Ann Smith'],
      ['ben', 'Ben Jones'],
      ['cat', 'Cat Lee'],
    ] as const) {
      const desk = await openDesktop(browser, server.url);
      const account = await signUpThroughCore(desk, server.url, name, 'first week ok', display);
      await desk.core.request(account.id, 'join', { group: 'team' });
      await desk.page.reload();
      await seen(desk.page.getByRole('heading', { name: 'Welcome to Parley' }));
      d[name] = desk;
    }
  }, 60_000);

  afterAll(async () => {
    for (const desk of Object.values(d)) await desk.close();
    await browser?.close();
    await server?.stop();
  });

  async function dmFrom(from: DesktopPage, to: string, text: string): Promise<void> {
    const p = from.page;
    await p.getByRole('button', { name: /^#team/ }).click();
    await p
      .getByRole('complementary', { name: 'Members of team' })
      .getByRole('button', { name: `Message ${to}` })
      .click();
    await seen(p.getByRole('heading', { name: to }));
    await p.getByRole('textbox', { name: 'Message' }).fill(text);
    await p.getByRole('textbox', { name: 'Message' }).press('Enter');
  }

  it('gap 2: dm rows and headers show people online, whatever is open, and after a reconnect', async () => {
    const a = d.ann.page;
    // Ann has no group open: no member list has told her page who is online.
    await seen(a.getByRole('heading', { name: 'Welcome to Parley' }));
    await dmFrom(d.ben, 'Ann Smith', 'hi Ann');
    await seen(a.locator('button.conversation', { hasText: 'Ben Jones' }));
    await expect
      .poll(() => dmRowDot(a, 'Ben Jones').getAttribute('title'), { timeout: SEEN_MS })
      .toBe('online');
    // Opening the dm: its header agrees, and the row stays online.
    await a.locator('button.conversation', { hasText: 'Ben Jones' }).click();
    await seen(a.getByRole('heading', { name: 'Ben Jones' }));
    await seen(a.getByRole('heading', { name: 'Ben Jones' }).locator('.dot-online'));
    // Cat writes while Ann is in Ben's dm: her new row shows her online too.
    await dmFrom(d.cat, 'Ann Smith', 'hello from Cat');
    await seen(a.locator('button.conversation', { hasText: 'Cat Lee' }));
    await expect
      .poll(() => dmRowDot(a, 'Cat Lee').getAttribute('title'), { timeout: SEEN_MS })
      .toBe('online');
    expect(await dmRowDot(a, 'Ben Jones').getAttribute('title')).toBe('online');
    await a.screenshot({ path: screenshotPath('first-week-dm-presence') });
    // After a reconnect (a reload of the page), with the dm open: still online.
    await a.reload();
    for (const name of ['Ben Jones', 'Cat Lee']) {
      await expect
        .poll(() => dmRowDot(a, name).getAttribute('title'), { timeout: SEEN_MS })
        .toBe('online');
    }
    // And someone who goes away is shown away everywhere.
    await d.cat.page.getByLabel('Status', { exact: true }).selectOption('away');
    await expect
      .poll(() => dmRowDot(a, 'Cat Lee').getAttribute('title'), { timeout: SEEN_MS })
      .toBe('away');
  }, 60_000);

  it('gap 3: Enter while a file uploads sends the message as soon as the upload is done', async () => {
    const a = d.ann.page;
    const b = d.ben.page;
    await a.locator('button.conversation', { hasText: 'Ben Jones' }).click();
    await seen(a.getByRole('heading', { name: 'Ben Jones' }));
    // 12 MB: it crosses page, core and server in chunks, long enough to press Enter meanwhile.
    await a.locator('.chat .composer input[type=file]').setInputFiles({
      name: 'dataset.bin',
      mimeType: 'application/octet-stream',
      buffer: Buffer.alloc(12 * 1024 * 1024, 7),
    });
    await seen(a.getByRole('progressbar', { name: 'Uploading dataset.bin' }));
    const box = a.getByRole('textbox', { name: 'Message' });
    await box.fill('12 MB dataset');
    await box.press('Enter');
    // Before: "Some files are still uploading: send when they are done…", and nothing was sent.
    expect(await box.inputValue()).toBe('');
    await a.screenshot({ path: screenshotPath('first-week-send-while-uploading') });
    const arrived = b.locator('button.conversation', { hasText: 'Ann Smith' });
    await arrived.click();
    const message = b.getByRole('article').filter({ hasText: '12 MB dataset' });
    await seen(message, 60_000);
    await seen(message.getByText('dataset.bin'));
    expect(await a.getByRole('alert').count()).toBe(0);
  }, 90_000);

  it('gap 5: quotes, lists and :shortcodes: render for everyone; topics and quoted replies too', async () => {
    const a = d.ann.page;
    const b = d.ben.page;
    for (const p of [a, b]) await p.getByRole('button', { name: /^#team/ }).click();
    const box = a.getByRole('textbox', { name: 'Message' });
    // Typed: the closing colon turns a known :name: into its emoji at once.
    await box.pressSequentially('Hey :wav');
    await seen(a.getByRole('listbox', { name: 'Emoji' }));
    await box.pressSequentially('e:');
    await expect.poll(() => box.inputValue(), { timeout: SEEN_MS }).toBe('Hey 👋');
    // Pasted whole (fill is a paste, not keystrokes): sent as the emoji.
    await box.fill(
      'Hey Ben :tada: welcome\n> quoted **line**\n- one\n  1. sub one\n- two\n\n1. first\n2. second',
    );
    await box.press('Enter');
    const message = b.getByRole('article').filter({ hasText: 'welcome' });
    await seen(message);
    await seen(message.getByText('Hey Ben 🎉 welcome'));
    await seen(message.locator('blockquote strong', { hasText: 'line' }));
    await seen(message.locator('ul > li', { hasText: 'two' }));
    await seen(message.locator('ul > li > ol > li', { hasText: 'sub one' }));
    await seen(message.locator('ol > li', { hasText: 'second' }));
    expect(await message.textContent()).not.toMatch(/:tada:|^> |\*\*/m);
    // The topic renders the same safe markdown.
    await b.getByRole('button', { name: 'Set a topic for #team' }).click();
    await b.getByRole('textbox', { name: 'Topic of #team' }).fill('Demo on **Friday** :rocket:');
    await b.getByRole('button', { name: 'Save' }).click();
    await seen(a.locator('.topic strong', { hasText: 'Friday' }));
    await seen(a.locator('.topic', { hasText: 'Demo on Friday 🚀' }));
    // A quoted reply shows the formatting, not its source.
    await message.hover();
    await message.getByRole('button', { name: /^Reply/ }).first().click();
    await b.getByRole('textbox', { name: 'Message' }).fill('agreed');
    await b.getByRole('textbox', { name: 'Message' }).press('Enter');
    const reply = a.getByRole('article').filter({ hasText: 'agreed' });
    await seen(reply.locator('.quote-text strong', { hasText: 'line' }));
    expect(await reply.locator('.quote-text').textContent()).not.toContain('**');
    await a.screenshot({ path: screenshotPath('first-week-formatting') });
    await a.emulateMedia({ colorScheme: 'dark' });
    await a.setViewportSize({ width: 500, height: 800 });
    await a.screenshot({ path: screenshotPath('first-week-formatting-500-dark') });
    await a.emulateMedia({ colorScheme: 'light' });
    await a.setViewportSize({ width: 1280, height: 800 });
  }, 60_000);

  // Last: it stops the server.
  it('gap 4: while the server is gone, the banner speaks plainly, nobody shows online, your name stays', async () => {
    const a = d.ann.page;
    await a.locator('button.conversation', { hasText: 'Ben Jones' }).click();
    await seen(a.getByRole('heading', { name: 'Ben Jones' }).locator('.dot-online'));
    await server.close();
    const banner = a.getByRole('status').filter({ hasText: /Trying again in/ });
    await seen(banner);
    const text = (await banner.first().textContent()) ?? '';
    // Before: "Offline: the connection dropped (connect ECONNREFUSED 127.0.0.1:…). Trying again in 142 s."
    expect(text).not.toMatch(/ECONN|EAI_|ETIMEDOUT/);
    const secs = Number(/Trying again in (\d+) s/.exec(text)?.[1]);
    expect(secs).toBeLessThanOrEqual(30); // the longest wait between attempts
    for (const name of ['Ben Jones', 'Cat Lee']) {
      await expect
        .poll(() => dmRowDot(a, name).getAttribute('title'), { timeout: SEEN_MS })
        .toBe('unknown while offline');
    }
    await seen(a.getByRole('heading', { name: 'Ben Jones' }).locator('.dot-unknown'));
    // Her own name never flips to her username.
    await seen(a.getByRole('complementary', { name: 'Conversations' }).getByText('Ann Smith'));
    await a.screenshot({ path: screenshotPath('first-week-offline') });
    await a.setViewportSize({ width: 500, height: 700 });
    await a.emulateMedia({ colorScheme: 'dark' });
    await a.screenshot({ path: screenshotPath('first-week-offline-500-dark') });
  }, 60_000);
});
