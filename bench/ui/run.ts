// `npm run bench:ui`: the chat UI's figures of docs/benchmarks.md, in real Chromium pages through
// the web host (what `npm run web` runs), against a real server on loopback:
//   1. send in one page → rendered in the other (p50, p99), beside the same trip between two bare
//      protocol clients (no UI, no desktop core) measured in the same run;
//   2. opening a conversation of 100,000 messages: click → newest message painted, then the
//      longest task while scrolling back through 5,000;
//   3. 1,000 incoming messages a second for 10 s into the open conversation: the longest task, and
//      the page's JavaScript heap before and after;
//   4. the renderer's initial JavaScript, gzipped.
// Results: bench/results/ui.json and ui.md. Every wait is bounded.
// To look inside the flood: PROFILE=/tmp/flood.cpuprofile writes the page's CPU profile, and
// TRACE=/tmp/flood.json a Chrome trace (both open in Chrome's DevTools).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { HAVE_CHROMIUM, launchChromium } from '../../tests/helpers/chromium.js';
import { openDesktop, type DesktopPage } from '../../tests/helpers/desktop-page.js';
import type { ProtoClient } from '../../tests/helpers/proto-client.js';
import { startTestServer, type TestServer } from '../../tests/helpers/test-server.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RESULTS = join(ROOT, 'bench/results');
const quick = process.argv.includes('--quick');
const LATENCY_SAMPLES = quick ? 50 : 300;
const BIG = quick ? 20_000 : 100_000;
const SCROLL_BACK = quick ? 1_000 : 5_000;
const FLOOD_RATE = 1_000;
const OPENS = 6;
const FLOOD_SECONDS = quick ? 3 : 10;
const PASSWORD = 'bench password';

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
const r2 = (n: number) => Math.round(n * 100) / 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function withTimeout<T>(what: string, ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Notes when bridge frames reach the page, before any of the app's code sees them: latency
 * samples by number (__bridgeAt) and the latest page of the big conversation (__historyAt).
 */
const BRIDGE_CLOCK = `(() => {
  const got = (globalThis.__bridgeAt = new Map());
  const add = WebSocket.prototype.addEventListener;
  WebSocket.prototype.addEventListener = function (type, fn, o) {
    if (type === 'message' && !this.__timed) {
      this.__timed = true;
      add.call(this, 'message', (e) => {
        const data = String(e.data);
        const t = performance.timeOrigin + performance.now();
        const m = /"text":"lat-(\\d+)"/.exec(data);
        if (m && !got.has(m[1])) got.set(m[1], t);
        if (data.includes('"endOfList"') && data.includes('big-')) {
          globalThis.__historyAt = performance.now();
        }
      });
    }
    return add.call(this, type, fn, o);
  };
})()`;

async function signIn(d: DesktopPage, server: TestServer, username: string, name: string) {
  const account = await d.core.signUp(server.url, username, PASSWORD, name);
  await d.page.reload();
  await d.page.getByRole('heading', { name: 'Welcome to Parley' }).waitFor({ timeout: 10_000 });
  return account;
}

async function openGroup(page: Page, group: string): Promise<void> {
  await page.getByRole('button', { name: new RegExp(`^#${group}(,|$)`) }).click();
  await page.getByRole('heading', { name: `#${group}` }).waitFor({ timeout: 10_000 });
}

/**
 * BENCH_UI_PROFILE=PREFIX: both pages' CPU profiles over the send → rendered samples, as
 * PREFIX-sender.cpuprofile and PREFIX-receiver.cpuprofile (open them in Chromium's DevTools), to
 * find where a change in the figure comes from.
 */
async function startProfiles(pages: Page[]) {
  const sessions = await Promise.all(pages.map((p) => p.context().newCDPSession(p)));
  for (const s of sessions) {
    await s.send('Profiler.enable');
    await s.send('Profiler.setSamplingInterval', { interval: 100 });
    await s.send('Profiler.start');
  }
  return {
    async stop(prefix: string) {
      for (const [i, s] of sessions.entries()) {
        const { profile } = await s.send('Profiler.stop');
        const name = `${prefix}-${i === 0 ? 'sender' : 'receiver'}.cpuprofile`;
        writeFileSync(name, JSON.stringify(profile));
      }
    },
  };
}

/** Watches the page for messages whose text starts with `prefix-N`; records when each appeared. */
async function watchArrivals(page: Page, prefix: string): Promise<void> {
  await page.evaluate(`(() => {
    const seen = (globalThis.__arrived = new Map());
    const re = /${prefix}-(\\d+)/;
    new MutationObserver((records) => {
      const t = performance.timeOrigin + performance.now();
      for (const r of records) for (const n of r.addedNodes) {
        const m = re.exec(n.textContent || '');
        if (m && !seen.has(m[1])) seen.set(m[1], t);
      }
    }).observe(document.body, { childList: true, subtree: true });
  })()`);
}

/** Long tasks (≥ 50 ms, Chromium's Long Tasks API) and the longest gap between frames. */
async function startJankMeter(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    const m = (globalThis.__jank = { longTasks: [], maxFrameMs: 0, frames: 0, running: true });
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) m.longTasks.push(e.duration);
    }).observe({ type: 'longtask' });
    let last = performance.now();
    const tick = (t) => {
      if (!m.running) return;
      m.maxFrameMs = Math.max(m.maxFrameMs, t - last);
      m.frames++;
      last = t;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame((t) => { last = t; requestAnimationFrame(tick); });
  })()`);
}

async function stopJankMeter(
  page: Page,
): Promise<{ longTasks: number; longestTaskMs: number; maxFrameMs: number; frames: number }> {
  return page.evaluate(`(() => {
    const m = globalThis.__jank;
    m.running = false;
    return {
      longTasks: m.longTasks.length,
      longestTaskMs: m.longTasks.length ? Math.max(...m.longTasks) : 0,
      maxFrameMs: m.maxFrameMs,
      frames: m.frames,
    };
  })()`);
}

async function heapUsed(page: Page): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
  await cdp.detach();
  return usedSize;
}

// ---- 1. send → rendered --------------------------------------------------------------------

async function sendToRendered(a: DesktopPage, b: DesktopPage) {
  // Where the time goes: when the sender's core queued each message, and the receiver's core got it.
  const queuedAt = new Map<string, number>();
  const deliveredAt = new Map<string, number>();
  const now = () => performance.timeOrigin + performance.now();
  const subs = [
    a.core.on('outbox:changed', ({ items }) => {
      for (const it of items) {
        const k = /lat-(\d+)/.exec(it.body.text)?.[1];
        if (k && !queuedAt.has(k)) queuedAt.set(k, now());
      }
    }),
    b.core.on('server:event', ({ frame }) => {
      if (frame.event !== 'message:send') return;
      const k = /lat-(\d+)/.exec(frame.data.body?.text ?? '')?.[1];
      if (k && !deliveredAt.has(k)) deliveredAt.set(k, now());
    }),
  ];
  const { page: pa } = a;
  const { page: pb } = b;
  await watchArrivals(pb, 'lat');
  await pa.evaluate(`(() => {
    const sent = (globalThis.__sent = new Map());
    document.addEventListener('keydown', (e) => {
      const box = e.target;
      if (e.key !== 'Enter' || e.shiftKey || !box || box.tagName !== 'TEXTAREA') return;
      const m = /lat-(\\d+)/.exec(box.value);
      if (m) sent.set(m[1], performance.timeOrigin + performance.now());
    }, true);
  })()`);
  const box = pa.getByRole('textbox', { name: 'Message' });
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    await box.fill(`lat-${i}`);
    await box.press('Enter');
    await sleep(30);
  }
  await withTimeout(
    'all latency samples rendered',
    30_000,
    // Functions, not strings: the page's CSP forbids eval.
    pb.waitForFunction(
      (n) => (globalThis as unknown as { __arrived: Map<string, number> }).__arrived.size >= n,
      LATENCY_SAMPLES,
      { timeout: 30_000 },
    ),
  );
  const sent = new Map<string, number>(await pa.evaluate('[...globalThis.__sent]'));
  const arrived = new Map<string, number>(await pb.evaluate('[...globalThis.__arrived]'));
  const bridgeAt = new Map<string, number>(await pb.evaluate('[...globalThis.__bridgeAt]'));
  for (const s of subs) s.dispose();
  const stage = (from: Map<string, number>, to: Map<string, number>) => {
    const ms = [...from]
      .map(([k, t]) => (to.get(k) ?? NaN) - t)
      .filter(Number.isFinite)
      .sort((x, y) => x - y);
    return {
      p50: r2(pct(ms, 50)),
      p99: r2(pct(ms, 99)),
      max: r2(ms.at(-1) ?? NaN),
      samples: ms.length,
    };
  };
  return {
    ...stage(sent, arrived),
    stages: {
      keyToQueued: stage(sent, queuedAt),
      queuedToDelivered: stage(queuedAt, deliveredAt),
      deliveredToPage: stage(deliveredAt, bridgeAt),
      pageToRendered: stage(bridgeAt, arrived),
    },
  };
}

/** The same trip between two bare protocol clients: the server's share of the figure above. */
async function bareProtocolTrip(sender: ProtoClient, receiver: ProtoClient, group: string) {
  const ms: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const got = receiver.waitFor(
      (f) =>
        f.type === 'event' &&
        (f as { data?: { body?: { text?: string } } }).data?.body?.text === `bare-${i}`,
    );
    const t0 = performance.now();
    sender.send({
      type: 'post',
      id: `b${i}`,
      to: { group },
      body: { text: `bare-${i}` },
      clientMsgId: `bare-${i}`,
    });
    await got;
    ms.push(performance.now() - t0);
    await sleep(5);
  }
  ms.sort((x, y) => x - y);
  return { samples: ms.length, p50: r2(pct(ms, 50)), p99: r2(pct(ms, 99)) };
}

// ---- 2. a conversation of 100,000 messages -------------------------------------------------

async function seedBig(
  server: TestServer,
  senderId: string,
): Promise<{ lastSeq: number; seedMs: number }> {
  const t0 = performance.now();
  let lastSeq = 0;
  const start = Date.now() - BIG * 1000;
  for (let i = 0; i < BIG; i++) {
    lastSeq = (
      await server.store.appendMessage({
        convId: 'group:big',
        sender: { user_id: senderId, cid: 'seed', displayName: 'Archivist' },
        clientMsgId: `seed-${i}`,
        body: {
          text: `big-${i} ${i % 7 === 0 ? 'a **longer** message that wraps over more than one line, with `code` and a link https://example.org/' + i : 'short one'}`,
        },
        ts: start + i * 1000,
      })
    ).seq;
  }
  return { lastSeq, seedMs: performance.now() - t0 };
}

async function openBig(page: Page, lastSeq: number) {
  await page.evaluate(`(() => {
    globalThis.__open = new Promise((resolve) => {
      let t0 = 0;
      document.addEventListener('click', () => { t0 = performance.now(); }, { capture: true, once: true });
      const mo = new MutationObserver(() => {
        if (!document.querySelector('article[data-seq="${lastSeq}"]')) return;
        mo.disconnect();
        // Painted: the frame after the DOM holds the newest message.
        const inDom = performance.now();
        requestAnimationFrame(() =>
          setTimeout(() => resolve({ total: performance.now() - t0, history: globalThis.__historyAt - t0, inDom: inDom - t0 }), 0),
        );
      });
      mo.observe(document.body, { childList: true, subtree: true });
    });
  })()`);
  await page.getByRole('button', { name: /^#big(,|$)/ }).click();
  const t = await withTimeout(
    'the big conversation painted',
    20_000,
    page.evaluate<{ total: number; history: number; inDom: number }>('globalThis.__open'),
  );
  console.log(
    `open: history page at ${r2(t.history)} ms, newest message in the DOM at ${r2(t.inDom)} ms`,
  );
  return r2(t.total);
}

async function scrollBack(page: Page, lastSeq: number) {
  await startJankMeter(page);
  const target = lastSeq - SCROLL_BACK;
  const t0 = performance.now();
  // Scrolls up a screenful or so a frame, as a flick of the wheel does, until the message
  // SCROLL_BACK before the newest is on screen.
  const reached = await page.evaluate<boolean>(`new Promise((resolve) => {
    const scroller = document.querySelector('.virtual-list');
    const deadline = performance.now() + 120000;
    const step = () => {
      const seqs = [...document.querySelectorAll('article[data-seq]')].map((a) => Number(a.dataset.seq));
      if (seqs.length && Math.min(...seqs) <= ${target}) return resolve(true);
      if (performance.now() > deadline) return resolve(false);
      // The wheel event says "the user scrolled up" (the list stops following new messages).
      scroller.dispatchEvent(new WheelEvent('wheel', { deltaY: -600, bubbles: true }));
      scroller.scrollTop = Math.max(0, scroller.scrollTop - 600);
      requestAnimationFrame(step);
    };
    step();
  })`);
  const seconds = (performance.now() - t0) / 1000;
  const jank = await stopJankMeter(page);
  if (!reached) throw new Error(`scrolling back ${SCROLL_BACK} messages did not finish in 120 s`);
  return { messages: SCROLL_BACK, seconds: r2(seconds), ...jank };
}

// ---- 3. 1,000 incoming messages a second ---------------------------------------------------

async function flood(sender: ProtoClient, desk: DesktopPage) {
  const { page } = desk;
  let delivered = 0;
  const counting = desk.core.on('server:event', ({ frame }) => {
    if (frame.event === 'message:send' && frame.data.conversation === 'group:flood') delivered++;
  });
  await watchArrivals(page, 'flood');
  const heapBefore = await heapUsed(page);
  await startJankMeter(page);
  if (process.env.TRACE) {
    await page
      .context()
      .browser()!
      .startTracing(page, {
        path: process.env.TRACE,
        categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'],
      });
  }
  const cdp = process.env.PROFILE ? await page.context().newCDPSession(page) : undefined;
  if (cdp) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.start');
  }
  const total = FLOOD_RATE * FLOOD_SECONDS;
  const perTick = FLOOD_RATE / 100;
  const t0 = performance.now();
  let sent = 0;
  // 10 messages every 10 ms, on a schedule (a late tick catches up, it does not drift).
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 10) * perTick) + perTick);
    for (; sent < due; sent++) {
      sender.send({
        type: 'post',
        id: `f${sent}`,
        to: { group: 'flood' },
        body: { text: `flood-${sent} from the load generator` },
        clientMsgId: `flood-${sent}`,
      });
    }
    await sleep(10);
  }
  const sendSeconds = (performance.now() - t0) / 1000;
  // The newest one is rendered (the list follows the bottom), so all of them reached the page.
  const progress = setInterval(() => {
    void page
      .evaluate(
        `(() => { const a = globalThis.__arrived; return [a.size, Math.max(...[...a.keys()].map(Number))]; })()`,
      )
      .then((p) =>
        console.log(`flood: ${JSON.stringify(p)} rendered (count, highest); core has ${delivered}`),
      );
  }, 5000);
  await withTimeout(
    'the last flood message rendered',
    60_000,
    page.waitForFunction(
      (last) => (globalThis as unknown as { __arrived: Map<string, number> }).__arrived.has(last),
      String(total - 1),
      { timeout: 60_000 },
    ),
  );
  clearInterval(progress);
  if (process.env.TRACE) await page.context().browser()!.stopTracing();
  if (cdp) {
    const { profile } = (await cdp.send('Profiler.stop')) as { profile: unknown };
    writeFileSync(process.env.PROFILE!, JSON.stringify(profile));
  }
  counting.dispose();
  const drainSeconds = (performance.now() - t0) / 1000;
  const jank = await stopJankMeter(page);
  await sleep(500);
  const heapAfter = await heapUsed(page);
  return {
    messages: total,
    sendSeconds: r2(sendSeconds),
    renderedAllAfterSeconds: r2(drainSeconds),
    ...jank,
    heapBeforeMB: r2(heapBefore / 2 ** 20),
    heapAfterMB: r2(heapAfter / 2 ** 20),
  };
}

// ---- 4. the bundle -------------------------------------------------------------------------

function initialJs() {
  const dir = join(ROOT, 'out/renderer');
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  const files = [...html.matchAll(/(?:src|href)="\.?\/?([^"]+\.js)"/g)].map((m) => m[1]!);
  let raw = 0;
  let gz = 0;
  for (const f of files) {
    const bytes = readFileSync(join(dir, f));
    raw += bytes.length;
    gz += gzipSync(bytes, { level: 9 }).length;
  }
  return { files, rawKB: r2(raw / 1024), gzipKB: r2(gz / 1024) };
}

// ---- run -----------------------------------------------------------------------------------

async function main(): Promise<void> {
  if (!HAVE_CHROMIUM) {
    console.log('bench:ui needs Chromium (apt-get install chromium); skipped.');
    return;
  }
  const bundle = initialJs();
  console.log(`initial JavaScript: ${bundle.gzipKB} KB gzipped (${bundle.rawKB} KB raw)`);
  const server = await startTestServer({
    // The flood sends 1,000 posts a second from one connection.
    limits: { requestsPerSecond: 5_000, requestBurst: 5_000, abuseRefusals: 1_000_000 },
  });
  const browser = await launchChromium(['--enable-precise-memory-info']);
  const a = await openDesktop(browser, server.url, { initScript: BRIDGE_CLOCK });
  const b = await openDesktop(browser, server.url, { initScript: BRIDGE_CLOCK });
  const results: Record<string, unknown> = {
    date: new Date().toISOString(),
    quick,
    machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
    bundle,
  };
  try {
    const alice = await signIn(a, server, 'alice', 'Alice');
    const bob = await signIn(b, server, 'bob', 'Bob');
    for (const [acc, d] of [
      [alice, a],
      [bob, b],
    ] as const) {
      for (const g of ['lat', 'big']) await d.core.request(acc.id, 'join', { group: g });
    }
    // The flood has one receiver, the page measured: Bob.
    await b.core.request(bob.id, 'join', { group: 'flood' });
    const carol = await server.client('carol');
    const dave = await server.client('dave');
    await carol.ok('join', { group: 'lat' });
    await dave.ok('join', { group: 'lat' });
    await carol.ok('join', { group: 'flood' });

    // 1
    await openGroup(a.page, 'lat');
    await openGroup(b.page, 'lat');
    const profiles = process.env.BENCH_UI_PROFILE ? await startProfiles([a.page, b.page]) : null;
    const ui = await sendToRendered(a, b);
    if (profiles) await profiles.stop(process.env.BENCH_UI_PROFILE!);
    const bare = await bareProtocolTrip(carol, dave, 'lat');
    results.sendToRendered = { ui, bareProtocol: bare, ratioP50: r2(ui.p50 / bare.p50) };
    console.log('send → rendered', JSON.stringify(results.sendToRendered, null, 1));

    // 2
    const seeded = await seedBig(server, bob.userId);
    console.log(`seeded ${BIG} messages in ${Math.round(seeded.seedMs)} ms`);
    // Read up to its end, so it opens at its newest message: a conversation with unread messages
    // opens at the first of them instead, and this measures opening a long history at its end.
    await server.store.markRead(alice.userId, 'group:big', seeded.lastSeq);
    // The first open asks the server; after a reload of the page, the desktop core answers from
    // its cache of the newest page (as after switching windows or restarting the renderer).
    const opens: number[] = [];
    for (let i = 0; i < OPENS; i++) {
      await a.page.reload();
      await a.page.getByRole('heading', { name: 'Welcome to Parley' }).waitFor({ timeout: 10_000 });
      await a.page.getByRole('button', { name: /^#big(,|$)/ }).waitFor({ timeout: 10_000 });
      opens.push(await openBig(a.page, seeded.lastSeq));
    }
    const cached = opens.slice(1).sort((x, y) => x - y);
    const scrolled = await scrollBack(a.page, seeded.lastSeq);
    results.bigConversation = {
      messages: BIG,
      firstPaintMs: opens[0],
      cachedOpenMedianMs: pct(cached, 50),
      cachedOpensMs: opens.slice(1),
      scrollBack: scrolled,
    };
    console.log('100k conversation', results.bigConversation);

    // 3
    await openGroup(b.page, 'flood');
    results.flood = {
      ratePerSecond: FLOOD_RATE,
      seconds: FLOOD_SECONDS,
      ...(await flood(carol, b)),
    };
    console.log('flood', results.flood);
    await carol.close();
    await dave.close();
  } finally {
    await a.close();
    await b.close();
    await browser.close();
    await server.stop();
  }

  if (quick) return; // quick runs check the harness; they write no results
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'ui.json'), `${JSON.stringify(results, null, 2)}\n`);
  const s = results.sendToRendered as {
    ui: { p50: number; p99: number };
    bareProtocol: { p50: number; p99: number };
    ratioP50: number;
  };
  const big = results.bigConversation as {
    firstPaintMs: number;
    cachedOpenMedianMs: number;
    scrollBack: { longestTaskMs: number; longTasks: number; maxFrameMs: number; seconds: number };
  };
  const f = results.flood as {
    longestTaskMs: number;
    longTasks: number;
    maxFrameMs: number;
    heapBeforeMB: number;
    heapAfterMB: number;
    renderedAllAfterSeconds: number;
  };
  const md = `# Chat UI benchmark results (${results.date as string})

Chromium (headless) pages through the web host, a real server on loopback; \`npm run bench:ui\`.

| figure | result | target |
| --- | --- | --- |
| send in one page → rendered in the other | p50 ${s.ui.p50} ms, p99 ${s.ui.p99} ms (bare protocol clients, same run: p50 ${s.bareProtocol.p50} ms, p99 ${s.bareProtocol.p99} ms) | p99 < 20 ms |
| open a conversation of ${BIG.toLocaleString('en')} messages, click → newest painted | first open (from the server) ${big.firstPaintMs} ms; after a page reload (the core's cache) median ${big.cachedOpenMedianMs} ms of ${OPENS - 1} | < 200 ms |
| scroll back through ${SCROLL_BACK.toLocaleString('en')} | ${big.scrollBack.longTasks} tasks ≥ 50 ms (longest ${big.scrollBack.longestTaskMs} ms), longest frame ${r2(big.scrollBack.maxFrameMs)} ms, ${big.scrollBack.seconds} s | longest task < 50 ms |
| ${FLOOD_RATE}/s incoming for ${FLOOD_SECONDS} s | ${f.longTasks} tasks ≥ 50 ms (longest ${f.longestTaskMs} ms), longest frame ${r2(f.maxFrameMs)} ms; all rendered after ${f.renderedAllAfterSeconds} s; JS heap ${f.heapBeforeMB} → ${f.heapAfterMB} MB | longest task < 50 ms |
| initial JavaScript | ${bundle.gzipKB} KB gzipped (${bundle.rawKB} KB raw) | < 250 KB gzipped |
`;
  writeFileSync(join(RESULTS, 'ui.md'), md);
  console.log(md);
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
