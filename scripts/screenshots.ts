// `npm run screenshots -- DIR`: Parley's main screens in every theme at 1280 and 500 px wide, as
// PNGs in DIR (docs/screenshots/after by default), for the design review of issue 22. A team of
// three with a little history, through a real server, in headless Chromium with a fake camera
// and microphone; nothing is mocked. `--themes light,dark` limits the themes (code from before
// the high-contrast theme has none); `--screens chat,settings` limits the screens (code from
// before the gallery or the member card has neither).
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
const screensArg = args.find((a) => a.startsWith('--screens='))?.slice('--screens='.length);
const WIDTHS = [1280, 500];

/** A screen: its name, the page it is on, how to get there, and how to leave it again. */
type Screen = [string, Page, (p: Page) => Promise<unknown>, (p: Page) => Promise<unknown>];

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

/** Leaves a dialog and, in a narrow window, closes the drawer it was opened from. */
async function closeDialogAndDrawer(page: Page): Promise<void> {
  await page.keyboard.press('Escape');
  const hide = page.getByRole('button', { name: 'Hide conversations' });
  if (await hide.isVisible()) await hide.click();
}

async function main(): Promise<void> {
  mkdirSync(out, { recursive: true });
  const server = await startTestServer();
  const browser = await launchChromium([
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    '--autoplay-policy=no-user-gesture-required',
  ]);
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
    // The component gallery needs no account: a page of its own beside Ann's.
    const gallery = await ann.context().newPage();
    await gallery.goto(new URL('/?gallery', ann.url()).href);
    const all: Screen[] = [
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
        closeDialogAndDrawer,
      ],
      [
        'browse-groups',
        ann,
        async (p) => {
          await showSidebar(p);
          await p.getByRole('button', { name: 'Browse groups' }).first().click();
          await seen(p.getByRole('dialog', { name: 'Browse groups' }));
        },
        closeDialogAndDrawer,
      ],
      [
        'compact',
        ann,
        (p) => p.evaluate(`document.documentElement.dataset.density = 'compact'`),
        (p) => p.evaluate(`delete document.documentElement.dataset.density`),
      ],
      [
        'member-card',
        ann,
        async (p) => {
          const members = p.getByRole('complementary', { name: 'Members of team' });
          if (!(await members.isVisible())) {
            await p.getByRole('button', { name: 'Members', exact: true }).click();
          }
          await members.getByRole('button', { name: /^Ben Jones/ }).hover();
          await seen(p.locator('.hover-card:not([hidden])'));
        },
        async (p) => {
          await p.mouse.move(640, 400);
          if (await p.getByRole('button', { name: 'Hide members' }).isVisible()) {
            await p.getByRole('button', { name: 'Hide members' }).click();
          }
        },
      ],
      [
        'search',
        ann,
        async (p) => {
          await p.getByRole('button', { name: 'Search', exact: true }).click();
          const dialog = p.getByRole('dialog', { name: /Search/ });
          await dialog.getByRole('combobox', { name: 'Search for' }).fill('Friday');
          await seen(dialog.getByRole('option'));
        },
        (p) => p.keyboard.press('Escape'),
      ],
      ['gallery', gallery, () => seen(gallery.locator('.gallery')), async () => undefined],
      [
        'call',
        ann,
        async (p) => {
          if (await p.locator('.call-panel').isVisible()) return;
          const ben = people.ben!.desk.page;
          await ben.reload();
          await seen(ben.getByRole('heading', { name: 'Welcome to Parley' }));
          await p.getByRole('button', { name: 'Video call', exact: true }).click();
          await ben
            .getByRole('alertdialog', { name: 'Incoming call' })
            .getByRole('button', { name: 'Accept' })
            .click();
          // Both pictures playing: ours and Ben's, a second in. (A function, not a string:
          // the page's CSP forbids eval.)
          await p.waitForFunction(
            () =>
              [
                ...(
                  globalThis as unknown as {
                    document: {
                      querySelectorAll(
                        q: string,
                      ): Iterable<{ videoWidth: number; currentTime: number }>;
                    };
                  }
                ).document.querySelectorAll('.call-panel video'),
              ].filter((v) => v.videoWidth > 0 && v.currentTime > 1).length >= 2,
            undefined,
            { timeout: 30_000 },
          );
        },
        async () => undefined,
      ],
    ];
    const screens = all.filter(([name]) => !screensArg || screensArg.split(',').includes(name));
    for (const [screen, page, open, close] of screens) {
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: 800 });
        // At 500 px with a conversation open the sidebar is a closed drawer: the chat shows.
        await open(page);
        for (const theme of THEMES) {
          await applyTheme(page, theme);
          await page.screenshot({
            path: join(out, `${screen}-${theme}-${width}.png`),
            // Finish entrance animations first: a dialog caught fading in looks see-through.
            animations: 'disabled',
            // The gallery is long: all of it, not only what fits in the window.
            fullPage: screen === 'gallery',
          });
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
