// Group calls through the SFU end to end: a real server, real Janus instances, Chromium pages.
// Two real app pages (Ann, Ben: desktop core, web host, the app) and publisher pages each
// holding several participants (tests/e2e/sfu-page) publishing small canvas pictures and tones,
// so a 2-core machine holds a call of 8.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mediaAddress, type JanusInstance } from '../../src/server/sfu/janus-process.js';
import { CHROMIUM, HAVE_CHROMIUM, launchChromium } from '../helpers/chromium.js';
import { accessibilityProblems } from '../helpers/axe.js';
import { screenshotPath, seen, teamDesktop, type DesktopPage } from '../helpers/desktop-page.js';
import { HAVE_JANUS, JANUS_PROBLEM, sfuConfig, startTestJanus } from '../helpers/janus.js';
import { servePublisherPage, type PublisherSite } from '../helpers/sfu-pages.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { until } from '../helpers/wait.js';

const CAN_RUN = HAVE_CHROMIUM && HAVE_JANUS;
if (!CAN_RUN) {
  console.log(
    `skipping the SFU group call tests: ${HAVE_CHROMIUM ? JANUS_PROBLEM : `no browser at ${CHROMIUM}`}`,
  );
}

interface Seat {
  page: Page;
  index: number;
  userId: string;
}

type Api = {
  add(url: string, token: string, group: string, label: string): Promise<number>;
  decoded(i: number): Promise<[number, number][]>;
  feeds(i: number): number[];
  self(i: number): number | undefined;
  phase(i: number): string;
  loud(i: number, on: boolean): void;
  leave(i: number): void;
  recover(i: number): Promise<void>;
  speaker(i: number): number | undefined;
  callId(i: number): string | undefined;
  debug(i: number): Promise<unknown>;
};
declare const sfuTest: Api;

describe.skipIf(!CAN_RUN)('group calls on the SFU', () => {
  let janus: JanusInstance[] = [];
  let server: TestServer;
  let browser: Browser;
  let site: PublisherSite;

  beforeAll(async () => {
    janus = await startTestJanus(2);
    site = await servePublisherPage();
    // The publisher pages are web pages: their origin is let in, as a browser client's would be.
    server = await startTestServer({
      sfu: sfuConfig(janus),
      allowedOrigins: [site.url.replace(/\/$/, '')],
    });
    browser = await launchChromium([
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      '--autoplay-policy=no-user-gesture-required',
      '--auto-accept-this-tab-capture',
    ]);
  }, 60_000);
  const desks: DesktopPage[] = [];
  afterAll(async () => {
    for (const d of desks) await d.close();
    await browser?.close();
    await site?.stop();
    await server?.stop();
    await Promise.all(janus.map((j) => j.stop()));
  });

  async function seat(page: Page, name: string, group: string): Promise<Seat> {
    const { userId, token } = await server.user(name);
    const c = await server.client(name);
    await c.request('join', { group });
    c.close();
    const index = await page.evaluate(
      ([url, token, group, name]) => sfuTest.add(url, token, group, name),
      [server.wsUrl, token, group, name] as const,
    );
    return { page, index, userId };
  }

  /** Every seat decodes frames from every other seat's feed. */
  async function everyoneSeesEveryone(seats: Seat[]): Promise<void> {
    const feeds = await Promise.all(
      seats.map((s) => s.page.evaluate((i) => sfuTest.self(i), s.index)),
    );
    for (const s of seats) {
      const others = feeds.filter((_, j) => seats[j] !== s);
      await until(
        async () => {
          const decoded = new Map(await s.page.evaluate((i) => sfuTest.decoded(i), s.index));
          return others.every((f) => (decoded.get(f!) ?? 0) > 5);
        },
        `seat ${s.index} decoding frames from every other seat`,
        30_000,
      ).catch(async (err: Error) => {
        const state = await s.page.evaluate((i) => sfuTest.debug(i), s.index);
        throw new Error(
          `${err.message}: expected ${JSON.stringify(others)}, ${JSON.stringify(state)}`,
        );
      });
    }
  }

  /** An app page of a member of `group`, with the group open. */
  async function appPage(username: string, displayName: string, group: string): Promise<Page> {
    const { desk } = await teamDesktop(
      browser,
      server.url,
      { username, displayName, groups: [group] },
      {
        alsoKeepAddresses: [mediaAddress()!],
        // Headless Chromium has no picker: "this tab" stands in for the person's choice.
        initScript: `(() => {
          const real = navigator.mediaDevices.getDisplayMedia.bind(navigator.mediaDevices);
          navigator.mediaDevices.getDisplayMedia = (c) => real({ ...c, preferCurrentTab: true });
        })()`,
      },
    );
    desks.push(desk);
    await desk.page.reload();
    await desk.page.getByRole('button', { name: new RegExp(`^#${group}`) }).click();
    await seen(desk.page.getByRole('heading', { name: group }));
    return desk.page;
  }

  /** The tiles of others whose video the app page has shown frames of, by data-feed. */
  function appFrames(page: Page): Promise<Record<string, number>> {
    return page.evaluate(`(() => {
      const out = {};
      for (const tile of document.querySelectorAll('.group-tile[data-feed]')) {
        const v = tile.querySelector('video');
        out[tile.dataset.feed] = v ? v.getVideoPlaybackQuality().totalVideoFrames : 0;
      }
      return out;
    })()`);
  }

  async function appSeesEveryone(page: Page, feeds: number[], what: string): Promise<void> {
    await until(
      async () => {
        const frames = await appFrames(page);
        return feeds.every((f) => (frames[String(f)] ?? 0) > 5);
      },
      what,
      30_000,
    ).catch(async (err: Error) => {
      throw new Error(
        `${err.message}: ${JSON.stringify(await appFrames(page))} for ${JSON.stringify(feeds)}`,
      );
    });
  }

  /** The page at 1280 and 800 px wide, light and dark (issue 23's screenshots). */
  async function shots(page: Page, name: string): Promise<void> {
    for (const width of [1280, 800]) {
      await page.setViewportSize({ width, height: 760 });
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        await page.screenshot({ path: screenshotPath(`group-call-${name}-${scheme}-${width}`) });
      }
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1100, height: 700 });
  }

  const self = (s: Seat) => s.page.evaluate((i) => sfuTest.self(i), s.index);
  const loud = (s: Seat, on: boolean) =>
    s.page.evaluate(([i, on]) => sfuTest.loud(i, on), [s.index, on] as const);
  const groupCall = (page: Page) => page.getByRole('region', { name: 'Group call' });

  it('8 people, 2 of them in the app: everyone decodes everyone; the speaker leads; one leaves and comes back; the SFU dies and the call resumes', async () => {
    const ann = await appPage('ann', 'Ann', 'standup');
    const ben = await appPage('ben', 'Ben', 'standup');
    // Ann starts the call from the conversation: the server has an SFU, so it is a group call.
    await ann.getByRole('button', { name: 'Video call', exact: true }).click();
    await seen(
      groupCall(ann).getByRole('status').filter({ hasText: 'Call in #standup, 1 person' }),
    );

    const pages = [await site.open(browser), await site.open(browser)];
    const seats: Seat[] = [];
    for (let i = 0; i < 6; i++) seats.push(await seat(pages[i % 2]!, `pub${i}`, 'standup'));
    // Ben sees the running call in the conversation (its line, and the header) and joins it.
    await seen(ben.getByText('Ann started a call'));
    await ben.getByRole('button', { name: 'Join call, 7 people' }).click();
    await seen(groupCall(ben).getByRole('status').filter({ hasText: '8 people' }));
    await everyoneSeesEveryone(seats);
    const publisherFeeds = (await Promise.all(seats.map(self))) as number[];
    await appSeesEveryone(ann, publisherFeeds, 'Ann decoding every publisher');
    await appSeesEveryone(ben, publisherFeeds, 'Ben decoding every publisher');
    // The publishers decode Ann and Ben too (8 in all, each sees the 7 others).
    expect((await seats[0]!.page.evaluate((i) => sfuTest.feeds(i), seats[0]!.index)).length).toBe(
      8,
    );
    await shots(ann, 'grid');

    // Simulcast: grid tiles get the small layer; pinned large, Ben's camera (640x480, sent in
    // two layers) comes in its large one, and back to small when unpinned.
    const widest = () =>
      ann.evaluate<number>(`(async () => {
        let w = 0;
        for (const pc of globalThis.__ice.connections) {
          if (pc.connectionState !== 'connected') continue;
          (await pc.getStats()).forEach((r) => {
            if (r.type === 'inbound-rtp' && r.kind === 'video' && r.frameWidth) w = Math.max(w, r.frameWidth);
          });
        }
        return w;
      })()`);
    await until(async () => (await widest()) <= 320, 'every grid tile in a small layer', 20_000);
    await groupCall(ann).getByRole('button', { name: 'Pin Ben' }).click();
    await until(async () => (await widest()) >= 480, "Ben's large layer once pinned", 20_000);
    await groupCall(ann).getByRole('button', { name: 'Unpin Ben' }).click();
    await until(async () => (await widest()) <= 320, "Ben's small layer again", 20_000);

    // Speaker view: the big tile follows whoever talks (Janus's audio levels).
    await groupCall(ann).getByRole('button', { name: 'Speaker view' }).click();
    const bigFeed = async () => ann.locator('.group-tile.large').getAttribute('data-feed');
    for (const talker of [seats[2]!, seats[4]!]) {
      await loud(talker, true);
      const feed = String(await self(talker));
      await until(
        async () => (await bigFeed()) === feed,
        `seat ${talker.index} in the big tile`,
        20_000,
      );
      await loud(talker, false);
    }
    await shots(ann, 'speaker');
    // Tiles scrolled out of the strip get nothing from the SFU; those in sight go on.
    const sight = await ann.evaluate(`(() => {
      const strip = document.querySelector('.group-strip').getBoundingClientRect();
      const out = { shown: [], hidden: [] };
      for (const t of document.querySelectorAll('.group-strip .group-tile[data-feed]')) {
        if (t.getAttribute('aria-label').endsWith('(you)')) continue;
        const r = t.getBoundingClientRect();
        (r.left >= strip.right || r.right <= strip.left ? out.hidden : out.shown).push(t.dataset.feed);
      }
      return out;
    })()`);
    const { shown, hidden } = sight as { shown: string[]; hidden: string[] };
    expect(hidden.length).toBeGreaterThan(0);
    const watched = shown[0];
    expect(watched).toBeDefined();
    // While a tile in sight shows 30 frames, a hidden one shows at most 2. Frames already on
    // their way when a tile went out of sight (the screenshots resized the window) may still
    // land: up to 5 rounds, each from a fresh count; a tile still sent anything never passes.
    let stillMoving: string[] = hidden;
    for (let round = 0; round < 5 && stillMoving.length > 0; round++) {
      const before = await appFrames(ann);
      await until(
        async () => ((await appFrames(ann))[watched!] ?? 0) > (before[watched!] ?? 0) + 30,
        'a tile in sight to show 30 more frames',
        20_000,
      );
      const after = await appFrames(ann);
      stillMoving = hidden.filter((f) => (after[f] ?? 0) - (before[f] ?? 0) > 2);
    }
    expect(stillMoving).toEqual([]);
    await groupCall(ann).getByRole('button', { name: 'Grid view' }).click();

    // Ben shares his screen (this tab, as the picker would give it): it is Ann's large tile.
    await groupCall(ben).getByRole('button', { name: 'Share screen' }).click();
    const screenTile = groupCall(ann).getByRole('figure', { name: "Ben's screen" });
    await seen(screenTile);
    await until(
      async () =>
        (await screenTile
          .locator('video')
          .evaluate(
            (v) =>
              (
                v as unknown as { getVideoPlaybackQuality(): { totalVideoFrames: number } }
              ).getVideoPlaybackQuality().totalVideoFrames,
          )) > 3,
      "Ann decoding Ben's screen",
      20_000,
    );
    await shots(ann, 'screen');
    await groupCall(ben).getByRole('button', { name: 'Stop sharing' }).click();
    await screenTile.waitFor({ state: 'detached', timeout: 20_000 });

    // The participant list, with a raised hand.
    await groupCall(ben).getByRole('button', { name: 'Raise hand' }).click();
    await groupCall(ann).getByRole('button', { name: 'Participants' }).click();
    const list = ann.getByRole('complementary', { name: 'Participants' });
    await seen(
      list.getByRole('listitem').filter({ hasText: 'Ben' }).filter({ hasText: 'hand raised' }),
    );
    await shots(ann, 'people');
    // The call's panel, its tiles and the list pass axe (no serious or critical problem).
    expect(await accessibilityProblems(ann)).toEqual([]);

    // One leaves: the others' tiles drop them; they come back and everyone sees everyone.
    const leaver = seats[5]!;
    const leaverFeed = await self(leaver);
    await leaver.page.evaluate((i) => sfuTest.leave(i), leaver.index);
    await until(
      async () => !(String(leaverFeed) in (await appFrames(ann))),
      'the leaver to be gone from the call',
      10_000,
    );
    seats[5] = await seat(leaver.page, 'pub5', 'standup');
    await everyoneSeesEveryone(seats);
    const again = (await Promise.all(seats.map(self))) as number[];
    await appSeesEveryone(ann, again, 'Ann decoding the one who came back');

    // Someone's connections fail (their network changed): they enter again with the same feed,
    // and everyone (the two app pages too) decodes them again.
    const feedBefore = await self(seats[1]!);
    await seats[1]!.page.evaluate((i) => sfuTest.recover(i), seats[1]!.index);
    expect(await self(seats[1]!)).toBe(feedBefore);
    await everyoneSeesEveryone(seats);
    // Its old connections are closed by now: new frames on Ben's tile are its new ones.
    const framesThen = (await appFrames(ben))[String(feedBefore)] ?? 0;
    await until(
      async () => ((await appFrames(ben))[String(feedBefore)] ?? 0) > framesThen + 30,
      'Ben showing 30 new frames of the one who reconnected',
      20_000,
    );

    // The call's Janus is killed: the call moves to the other one and everyone is back.
    const callId = (await seats[0]!.page.evaluate((i) => sfuTest.callId(i), seats[0]!.index))!;
    const placement = janus.find((j) => server.hub.callPlacement(callId) === j.url);
    expect(placement).toBeDefined();
    // Ann's page notes whether it ever said "Reconnecting the call" (it may say so briefly).
    await ann.evaluate(`(() => {
      const seen = () => document.querySelector('.group-call .call-status')?.textContent?.includes('Reconnecting the call');
      globalThis.__reconnectingShown = false;
      const mo = new MutationObserver(() => { if (seen()) { globalThis.__reconnectingShown = true; mo.disconnect(); } });
      mo.observe(document.body, { childList: true, subtree: true, characterData: true });
    })()`);
    const killedAt = Date.now();
    placement!.kill();
    await everyoneSeesEveryone(seats);
    await appSeesEveryone(ann, again, 'Ann decoding everyone after the move');
    await appSeesEveryone(ben, again, 'Ben decoding everyone after the move');
    console.log(
      `group call of 8: every page decoding every picture again ${Date.now() - killedAt} ms after its SFU was killed`,
    );
    expect(server.hub.callPlacement(callId)).not.toBe(placement!.url);
    expect(await ann.evaluate('globalThis.__reconnectingShown')).toBe(true);
    await seen(groupCall(ann).getByRole('status').filter({ hasText: '8 people' }));

    // Leaving from the app: Ann's panel goes, Ben's call goes on without her.
    await groupCall(ann).getByRole('button', { name: 'Leave call' }).click();
    await groupCall(ann).waitFor({ state: 'detached' });
    await seen(groupCall(ben).getByRole('status').filter({ hasText: '7 people' }));
  }, 240_000);
});
