// `npm run screenshots -- DIR`: Parley's main screens in every theme at 1280 and 500 px wide, as
// PNGs in DIR (docs/screenshots/after by default), for the design review of issue 22. A team of
// three with a little history, through a real server, in headless Chromium; nothing is mocked.
// `--themes light,dark` limits the themes (code from before the high-contrast theme has none).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium } from '../tests/helpers/chromium.js';
import {
  openDesktop,
  openAccountMenu,
  seen,
  teamDesktop,
  type DesktopPage,
} from '../tests/helpers/desktop-page.js';
import { startTestServer } from '../tests/helpers/test-server.js';

const args = process.argv.slice(2);
const out = args.find((a) => !a.startsWith('--')) ?? 'docs/screenshots/after';
const themeArg = args.find((a) => a.startsWith('--themes='))?.slice('--themes='.length);
const THEMES = (themeArg ?? 'light,dark,contrast').split(',');
const WIDTHS = [1280, 500];

/** Light and dark as the OS would ask; high contrast as Settings would choose it. */
async function applyTheme(page: Page, theme: string): Promise<void> {
  await page.emulateMedia({ colorScheme: theme === 'light' ? 'light' : 'dark' });
  await page.evaluate(
    theme === 'contrast'
      ? `document.documentElement.dataset.theme = 'contrast'`
      : `delete document.documentElement.dataset.theme`,
  );
}

/** Narrow windows keep the sidebar in a drawer: open it to reach what is in it. */
async function showSidebar(page: Page): Promise<void> {
  if (await page.getByRole('complementary', { name: 'Conversations' }).isVisible()) return;
  await page.getByRole('button', { name: 'Show conversations' }).click();
}

async function main(): Promise<void> {
  mkdirSync(out, { recursive: true });
  const server = await startTestServer();
  const browser = await launchChromium();
  const people: Record<string, { desk: DesktopPage; id: string }> = {};
  try {
    for (const [name, display] of [
      ['ann', 'Ann Smith'],
      ['ben', 'Ben Jones'],
      ['cat', 'Catherine Lee-Montgomery'],
    ] as const) {
      const { desk, accountId } = await teamDesktop(browser, server.url, {
        username: name,
        displayName: display,
        groups: ['team'],
      });
      people[name] = { desk, id: accountId };
    }
    const say = (who: string, text: string, n: number) =>
      people[who]!.desk.core.request(people[who]!.id, 'post', {
        to: { group: 'team' },
        body: { text },
        clientMsgId: `screens-${who}-${n}`,
      });
    await people.ben!.desk.core.request(people.ben!.id, 'topic', {
      group: 'team',
      topic: 'Launch on **Friday**: see the plan',
    });
    await say('ben', 'Morning all! The build is green again.', 1);
    await say('cat', 'Nice. Plan for today:\n- fix the login bug\n- review the release notes', 2);
    await say('ann', 'I will take the release notes. `v1.4` ships **Friday**.', 3);
    await say('ben', '> ships Friday\nThat works for me.', 4);
    await say('ann', 'Thanks @ben, and welcome aboard @cat!', 5);

    const ann = people.ann!.desk.page;
    await ann.reload();
    await ann.getByRole('button', { name: /^#team/ }).click();
    await seen(ann.getByRole('article').filter({ hasText: 'welcome aboard' }));
    const fresh = await openDesktop(browser, server.url);
    const screens: [string, Page, (p: Page) => Promise<void>, (p: Page) => Promise<void>][] = [
      ['sign-in', fresh.page, async () => undefined, async () => undefined],
      ['chat', ann, async () => undefined, async () => undefined],
      [
        'settings',
        ann,
        async (p) => {
          await showSidebar(p);
          await openAccountMenu(p);
          await p.getByRole('button', { name: 'Settings' }).first().click();
          await seen(p.getByRole('dialog', { name: 'Settings' }));
        },
        (p) => p.keyboard.press('Escape'),
      ],
      [
        'browse-groups',
        ann,
        async (p) => {
          await showSidebar(p);
          await p.getByRole('button', { name: 'Browse groups' }).first().click();
          await seen(p.getByRole('dialog', { name: 'Browse groups' }));
        },
        (p) => p.keyboard.press('Escape'),
      ],
    ];
    for (const [screen, page, open, close] of screens) {
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: 800 });
        // At 500 px with a conversation open the sidebar is a closed drawer: the chat shows.
        await open(page);
        for (const theme of THEMES) {
          await applyTheme(page, theme);
          await page.screenshot({ path: join(out, `${screen}-${theme}-${width}.png`) });
        }
        await close(page);
      }
    }
    await fresh.close();
  } finally {
    for (const p of Object.values(people)) await p.desk.close();
    await browser.close();
    await server.stop();
  }
  console.log(`screenshots in ${out}`);
}

await main();
