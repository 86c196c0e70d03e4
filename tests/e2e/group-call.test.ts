// Group calls through the SFU end to end: a real server, real Janus instances, Chromium pages.
// Publisher pages each hold several participants (tests/e2e/sfu-page) publishing small canvas
// pictures and tones, so a 2-core machine holds a call of 8.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JanusInstance } from '../../src/server/sfu/janus-process.js';
import { CHROMIUM, HAVE_CHROMIUM, launchChromium } from '../helpers/chromium.js';
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
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
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
        throw new Error(`${err.message}: expected ${JSON.stringify(others)}, ${JSON.stringify(state)}`);
      });
    }
  }

  const self = (s: Seat) => s.page.evaluate((i) => sfuTest.self(i), s.index);
  const speakerOf = (s: Seat) => s.page.evaluate((i) => sfuTest.speaker(i), s.index);
  const loud = (s: Seat, on: boolean) =>
    s.page.evaluate(([i, on]) => sfuTest.loud(i, on), [s.index, on] as const);

  it('8 people: everyone decodes everyone; the speaker leads; one leaves and comes back; the SFU dies and the call resumes', async () => {
    const pages = [await site.open(browser), await site.open(browser)];
    const seats: Seat[] = [];
    for (let i = 0; i < 8; i++) seats.push(await seat(pages[i % 2]!, `pub${i}`, 'standup'));
    await everyoneSeesEveryone(seats);

    // The active speaker (Janus's audio levels) is who the others' speaker view shows.
    const [watcher, first, second] = [seats[0]!, seats[3]!, seats[6]!];
    await loud(first, true);
    const firstFeed = await self(first);
    await until(
      async () => (await speakerOf(watcher)) === firstFeed,
      'seat 3 to be the speaker',
      20_000,
    );
    await loud(first, false);
    await loud(second, true);
    const secondFeed = await self(second);
    await until(
      async () => (await speakerOf(watcher)) === secondFeed,
      'seat 6 to be the speaker',
      20_000,
    );
    await loud(second, false);

    // One leaves: the others stop listing them; they come back and everyone sees everyone.
    const leaver = seats[7]!;
    const leaverFeed = await self(leaver);
    await leaver.page.evaluate((i) => sfuTest.leave(i), leaver.index);
    await until(
      async () =>
        !(await watcher.page.evaluate((i) => sfuTest.feeds(i), watcher.index)).includes(
          leaverFeed!,
        ),
      'the leaver to be gone from the call',
      10_000,
    );
    seats[7] = await seat(leaver.page, 'pub7', 'standup');
    await everyoneSeesEveryone(seats);

    // The call's Janus is killed: the call moves to the other one and everyone is back.
    const callId = (await watcher.page.evaluate((i) => sfuTest.callId(i), watcher.index))!;
    const placement = janus.find((j) => server.hub.callPlacement(callId) === j.url);
    expect(placement).toBeDefined();
    const killedAt = Date.now();
    placement!.kill();
    await until(
      async () =>
        (
          await Promise.all(seats.map((s) => s.page.evaluate((i) => sfuTest.phase(i), s.index)))
        ).every((p) => p === 'reconnecting' || p === 'connected'),
      'everyone to hear of the move',
      10_000,
    );
    await everyoneSeesEveryone(seats);
    console.log(
      `group call of 8: back with every picture ${Date.now() - killedAt} ms after its SFU was killed`,
    );
    expect(server.hub.callPlacement(callId)).not.toBe(placement!.url);
  }, 240_000);
});
