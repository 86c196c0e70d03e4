// The newest message must be entirely on screen, above the composer, whenever the list follows
// the conversation: when it opens, when messages arrive while the window is in the background,
// and after the window is resized (the UX review's first bug: it stopped 28–41 px short, and
// drifted 512 px on a resize).
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, HAVE_CHROMIUM, launchChromium } from '../helpers/chromium.js';
import {
  blurWindow,
  focusWindow,
  openDesktop,
  signUpThroughCore,
  screenshotPath,
  type DesktopPage,
} from '../helpers/desktop-page.js';
import type { ProtoClient } from '../helpers/proto-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

if (!HAVE_CHROMIUM) console.log(`skipping the newest-message tests: no browser at ${CHROMIUM}`);

/**
 * How far the newest message's bottom edge is above the list's visible bottom (negative: hidden
 * below it), and whether that message is the conversation's last one.
 */
async function newestGap(page: Page, text: string): Promise<number | null> {
  // Page code as a string: it runs in the page (the test's typecheck has no DOM).
  return page.evaluate(`(() => {
    const scroller = document.querySelector('.virtual-list');
    const rows = [...document.querySelectorAll('[role="log"] article')];
    const last = rows.filter((r) => (r.textContent || '').includes(${JSON.stringify(text)})).pop();
    if (!scroller || !last) return null;
    return scroller.getBoundingClientRect().bottom - last.getBoundingClientRect().bottom;
  })()`);
}

async function expectNewestVisible(page: Page, text: string, what: string): Promise<void> {
  // The list settles over a few frames (more on a busy machine): wait for it, up to 10 s.
  let gap: number | null = null;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    gap = await newestGap(page, text);
    if (gap !== null && gap >= -1) break;
    await page.waitForTimeout(50);
  }
  expect(
    gap,
    `${what}: the newest message's bottom is ${gap} px above the list's bottom`,
  ).not.toBeNull();
  expect(gap!, `${what}: the newest message is hidden by ${-gap!} px`).toBeGreaterThanOrEqual(-1);
}

describe.skipIf(!HAVE_CHROMIUM)('the newest message stays visible', () => {
  let server: TestServer;
  let browser: Browser;
  let ann: DesktopPage;
  let writer: ProtoClient;

  beforeAll(async () => {
    server = await startTestServer({ limits: { requestsPerSecond: 1000, requestBurst: 1000 } });
    browser = await launchChromium();
    ann = await openDesktop(browser, server.url);
    const account = await signUpThroughCore(ann, server.url, 'ann', 'newest password', 'Ann');
    await ann.core.request(account.id, 'join', { group: 'design' });
    writer = await server.client('bob');
    await writer.ok('join', { group: 'design' });
    // Enough history to scroll, with rows of two heights.
    for (let i = 0; i < 60; i++) {
      await writer.ok('post', {
        to: { group: 'design' },
        body: { text: i % 7 === 0 ? `history ${i}\nwith a second line` : `history ${i}` },
        clientMsgId: `h${i}`,
      });
    }
    // Read up to here: a read conversation opens at its newest message (an unread one opens at
    // its first unread: the last test).
    await ann.core.request(account.id, 'read', { conversation: 'group:design', seq: 60 });
    await ann.page.reload();
  }, 60_000);

  afterAll(async () => {
    await writer?.close();
    await ann?.close();
    await browser?.close();
    await server?.stop();
  });

  it('on opening a conversation', async () => {
    const a = ann.page;
    await a.getByRole('button', { name: /^#design/ }).click();
    await a.getByRole('heading', { name: '#design' }).waitFor();
    await expectNewestVisible(a, 'history 59', 'on opening');
    await a.screenshot({ path: screenshotPath('newest-visible-open') });
  });

  it('after messages arrive while the window is in the background', async () => {
    const a = ann.page;
    await blurWindow(a);
    for (let i = 0; i < 5; i++) {
      await writer.ok('post', {
        to: { group: 'design' },
        body: { text: `background ${i}` },
        clientMsgId: `b${i}`,
      });
    }
    await a.getByText('background 4').waitFor();
    await expectNewestVisible(a, 'background 4', 'while in the background');
    await focusWindow(a);
    await expectNewestVisible(a, 'background 4', 'back in focus');
  });

  it('after the window is resized, smaller and back', async () => {
    const a = ann.page;
    await a.setViewportSize({ width: 900, height: 560 });
    await expectNewestVisible(a, 'background 4', 'resized to 900 × 560');
    await a.screenshot({ path: screenshotPath('newest-visible-resized') });
    await a.setViewportSize({ width: 1100, height: 700 });
    await expectNewestVisible(a, 'background 4', 'resized back');
    expect(ann.errors).toEqual([]);
  });

  it('a conversation with unread messages opens at the first of them, with Jump to latest', async () => {
    const a = ann.page;
    const accountId = ann.core.listAccounts()[0]!.id;
    await ann.core.request(accountId, 'join', { group: 'notes' });
    await writer.ok('join', { group: 'notes' });
    await writer.ok('post', {
      to: { group: 'notes' },
      body: { text: 'read earlier' },
      clientMsgId: 'n0',
    });
    await a.getByRole('button', { name: /^#notes/ }).click();
    await a.getByText('read earlier').waitFor();
    await a.getByRole('button', { name: /^#design/ }).click();
    await a.getByRole('heading', { name: '#design' }).waitFor();
    for (let i = 0; i < 30; i++) {
      await writer.ok('post', {
        to: { group: 'notes' },
        body: { text: `unread ${i}` },
        clientMsgId: `n${i + 1}`,
      });
    }
    await a.getByRole('button', { name: '#notes, 30 unread' }).click();
    await a.getByRole('heading', { name: '#notes' }).waitFor();
    // The first unread and the "New" line are on screen; the newest is further down.
    await a.getByRole('separator', { name: 'New messages' }).waitFor();
    expect(await newestGap(a, 'unread 0')).toBeGreaterThanOrEqual(0);
    const below = await newestGap(a, 'unread 29');
    expect(below === null || below < 0, `the newest is ${below} px from the bottom`).toBe(true);
    // Nothing was marked read by opening.
    await a.waitForTimeout(1500);
    await a.getByRole('button', { name: '#notes, 30 unread' }).waitFor();
    await a.screenshot({ path: screenshotPath('open-at-first-unread') });
    await a.getByRole('button', { name: 'Jump to latest ↓' }).click();
    await expectNewestVisible(a, 'unread 29', 'after Jump to latest');
    // Seen now: the count goes.
    await a.getByRole('button', { name: '#notes', exact: true }).waitFor({ timeout: 5_000 });
    expect(ann.errors).toEqual([]);
  });
});
