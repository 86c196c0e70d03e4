// `npm run bench:call` (second part): one page's upload and CPU in group calls of 2, 4, 8 and 16
// through the SFU (Janus on loopback ports, our generated config), against a mesh of 2, 3 and 4
// in the same run; join → first remote frame; Janus's CPU per forwarded video stream.
//
// The measured participant is alone in a Chromium of its own, so its CPU is that browser's
// process tree (utime + stime from /proc), nothing else's; it sends a 640x360 picture at 15 fps
// (simulcast through the SFU: the two layers Chromium sends at that size). The others are publisher pages (160x120) in a
// second Chromium. Every window is WINDOW_MS long; every wait is bounded.
import { readFileSync, readdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import type { JanusInstance } from '../../src/server/sfu/janus-process.js';
import { launchChromium } from '../../tests/helpers/chromium.js';
import { sfuConfig, startTestJanus } from '../../tests/helpers/janus.js';
import { servePublisherPage, type PublisherSite } from '../../tests/helpers/sfu-pages.js';
import { startTestServer, type TestServer } from '../../tests/helpers/test-server.js';
import { until } from '../../tests/helpers/wait.js';

const SIZE: [number, number] = [640, 360];
const PER_PAGE = 6;

interface Api {
  add(
    url: string,
    token: string,
    group: string,
    label: string,
    ice: unknown[],
    size: [number, number],
  ): Promise<number>;
  firstFrame(i: number): Promise<number>;
  decoded(i: number): Promise<[number, number][]>;
  sent(i: number): Promise<number>;
  leave(i: number): void;
  meshOffer(k: number, size: [number, number]): Promise<string[]>;
  meshAnswer(offers: string[]): Promise<string[]>;
  meshAccept(answers: string[]): Promise<void>;
  meshSent(): Promise<number>;
  meshClose(): void;
}
declare const sfuTest: Api;

const CLK_TCK = 100;

/** CPU seconds so far of the processes whose command line holds `marker`, and their children. */
function treeCpuSeconds(marker: string): number {
  const procs = new Map<number, { ppid: number; ticks: number; mine: boolean }>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      procs.set(pid, {
        ppid: Number(fields[1]),
        ticks: Number(fields[11]) + Number(fields[12]),
        mine: cmdline.includes(marker),
      });
    } catch {
      // gone meanwhile
    }
  }
  const inTree = (pid: number): boolean => {
    for (let p = procs.get(pid), hops = 0; p && hops < 16; p = procs.get(p.ppid), hops++) {
      if (p.mine) return true;
    }
    return false;
  };
  let ticks = 0;
  for (const [pid, p] of procs) if (inTree(pid)) ticks += p.ticks;
  return ticks / CLK_TCK;
}

function pidCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

const r1 = (n: number) => Math.round(n * 10) / 10;

export interface SfuBenchRow {
  people: number;
  uploadKBps: number;
  cpuPercent: number;
  joinToFirstFrameMs?: number;
  janusCpuPercent?: number;
  forwardedVideoStreams?: number;
  janusCpuPerStreamPercent?: number;
}

export async function benchSfu(
  windowMs: number,
  sizes: number[],
): Promise<{
  sfu: SfuBenchRow[];
  mesh: SfuBenchRow[];
}> {
  const [janus] = (await startTestJanus(1)) as [JanusInstance];
  const site: PublisherSite = await servePublisherPage();
  const server: TestServer = await startTestServer({
    sfu: sfuConfig([janus]),
    allowedOrigins: [site.url.replace(/\/$/, '')],
  });
  const flags = [
    '--disable-features=WebRtcHideLocalIpsWithMdns',
    '--autoplay-policy=no-user-gesture-required',
  ];
  const measured: Browser = await launchChromium([...flags, '--parley-bench=measured']);
  const others: Browser = await launchChromium([...flags, '--parley-bench=others']);
  let users = 0;
  const seat = async (page: Page, group: string, size: [number, number] = [160, 120]) => {
    const name = `bench${users++}`;
    const { token } = await server.user(name);
    const c = await server.client(name);
    await c.request('join', { group });
    c.close();
    return page.evaluate(
      ([url, token, group, name, size]) => sfuTest.add(url, token, group, name, [], size),
      [server.wsUrl, token, group, name, size] as const,
    );
  };
  /** The measured page's bytes sent and its browser's CPU over one window. */
  const window = async (sent: () => Promise<number>) => {
    const [b0, c0, j0, t0] = [
      await sent(),
      treeCpuSeconds('--parley-bench=measured'),
      pidCpuSeconds(janus.pid()!),
      Date.now(),
    ];
    await new Promise((r) => setTimeout(r, windowMs));
    const [b1, c1, j1, t1] = [
      await sent(),
      treeCpuSeconds('--parley-bench=measured'),
      pidCpuSeconds(janus.pid()!),
      Date.now(),
    ];
    const s = (t1 - t0) / 1000;
    return {
      uploadKBps: r1((b1 - b0) / 1024 / s),
      cpuPercent: r1(((c1 - c0) / s) * 100),
      janusCpuPercent: r1(((j1 - j0) / s) * 100),
    };
  };
  const sfu: SfuBenchRow[] = [];
  const mesh: SfuBenchRow[] = [];
  try {
    for (const people of sizes) {
      const group = `bench-${people}`;
      const pages: Page[] = [];
      for (let i = 0; i < Math.ceil((people - 1) / PER_PAGE); i++)
        pages.push(await site.open(others));
      const seats: { page: Page; index: number }[] = [];
      for (let i = 0; i < people - 1; i++) {
        const page = pages[Math.floor(i / PER_PAGE)]!;
        seats.push({ page, index: await seat(page, group) });
      }
      const mine = await site.open(measured);
      const me = await seat(mine, group, SIZE);
      const joinToFirstFrameMs = r1(await mine.evaluate((i) => sfuTest.firstFrame(i), me));
      // Steady state: the measured page decodes everyone.
      await until(
        async () =>
          (await mine.evaluate((i) => sfuTest.decoded(i), me)).filter(([, f]) => f > 0).length >=
          people - 1,
        `the measured page decoding ${people - 1} others`,
        60_000,
      );
      const w = await window(() => mine.evaluate((i) => sfuTest.sent(i), me));
      const forwarded = people * (people - 1);
      sfu.push({
        people,
        uploadKBps: w.uploadKBps,
        cpuPercent: w.cpuPercent,
        joinToFirstFrameMs,
        janusCpuPercent: w.janusCpuPercent,
        forwardedVideoStreams: forwarded,
        janusCpuPerStreamPercent: Math.round((w.janusCpuPercent / forwarded) * 100) / 100,
      });
      console.log('sfu', sfu.at(-1));
      await mine.evaluate((i) => sfuTest.leave(i), me);
      for (const s of seats) await s.page.evaluate((i) => sfuTest.leave(i), s.index);
      await mine.close();
      for (const p of pages) await p.close();
    }
    for (const people of [2, 3, 4].filter((n) => n <= Math.max(...sizes))) {
      const mine = await site.open(measured);
      const peer = await site.open(others);
      const offers = await mine.evaluate(([k, size]) => sfuTest.meshOffer(k, size), [
        people - 1,
        SIZE,
      ] as const);
      const answers = await peer.evaluate((o) => sfuTest.meshAnswer(o), offers);
      await mine.evaluate((a) => sfuTest.meshAccept(a), answers);
      await until(
        async () => (await mine.evaluate(() => sfuTest.meshSent())) > 0,
        'mesh sending',
        20_000,
      );
      const w = await window(() => mine.evaluate(() => sfuTest.meshSent()));
      mesh.push({ people, uploadKBps: w.uploadKBps, cpuPercent: w.cpuPercent });
      console.log('mesh', mesh.at(-1));
      await mine.evaluate(() => sfuTest.meshClose());
      await peer.evaluate(() => sfuTest.meshClose());
      await mine.close();
      await peer.close();
    }
  } finally {
    await measured.close();
    await others.close();
    await server.stop();
    await site.stop();
    await janus.stop();
  }
  return { sfu, mesh };
}
