// `npm run bench:call`: call figures of docs/benchmarks.md, in two headless Chromium pages with
// fake camera and microphone, each with its own desktop core behind the web host, signalling
// through a real server on loopback:
//   1. call setup, 5 video calls: click "Video call" → the other page rings, and Accept → the
//      caller shows "In a call" and → the caller's first remote video frame (the callee's own
//      reaction time is left out);
//   2. a 256 MB file over the file-transfer channel: throughput at the receiver (first chunk to
//      last), and the largest bufferedAmount the sender saw; beside it, a bare data channel
//      between two RTCPeerConnections in one page (the machine's own ceiling), as a ratio.
//   3. a group call of three (a third page): from the later of two Accepts to every page
//      connected to both others.
//   4. group calls through the SFU against the mesh (sfu.ts): bench/results/call-sfu.json and
//      call-sfu.md. `--sfu-only` runs this part alone.
// Results: bench/results/call.json and call.md. Every wait is bounded.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { HAVE_CHROMIUM, launchChromium } from '../../tests/helpers/chromium.js';
import { HAVE_JANUS, JANUS_PROBLEM } from '../../tests/helpers/janus.js';
import { openDesktop, type DesktopPage } from '../../tests/helpers/desktop-page.js';
import { startTestServer, tempDir } from '../../tests/helpers/test-server.js';
import { until } from '../../tests/helpers/wait.js';
import { benchSfu } from './sfu.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RESULTS = join(ROOT, 'bench/results');
const quick = process.argv.includes('--quick');
const CALLS = quick ? 2 : 11;
const GROUP_CALLS = quick ? 1 : 5;
const FILE_MB = quick ? 32 : 256;
const REFERENCE_MB = quick ? 16 : 64;

const r1 = (n: number) => Math.round(n * 10) / 10;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Clock time (ms, comparable across pages) when a selector first matches, recorded in the page. */
async function stamp(page: Page, key: string, js: string): Promise<void> {
  await page.evaluate(`(() => {
    const marks = (globalThis.__marks ??= {});
    delete marks[${JSON.stringify(key)}];
    const test = () => { try { return (${js}); } catch { return false; } };
    const done = () => { marks[${JSON.stringify(key)}] = performance.timeOrigin + performance.now(); };
    if (test()) return done();
    const mo = new MutationObserver(() => { if (test()) { mo.disconnect(); done(); } });
    mo.observe(document.body, { childList: true, subtree: true, characterData: true, attributes: true });
  })()`);
}

async function mark(page: Page, key: string, timeoutMs = 20_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    const v = await page.evaluate<number | undefined>(
      `globalThis.__marks?.[${JSON.stringify(key)}]`,
    );
    if (v !== undefined) return v;
    if (Date.now() - started > timeoutMs)
      throw new Error(`${key}: not seen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The clock time of the caller's first decoded remote frame (requestVideoFrameCallback). */
async function watchFirstFrame(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    const marks = (globalThis.__marks ??= {});
    delete marks.firstFrame;
    const look = () => {
      const v = [...document.querySelectorAll('video')].find((x) => !x.muted);
      if (!v) return setTimeout(look, 5);
      v.requestVideoFrameCallback(() => { marks.firstFrame = performance.timeOrigin + performance.now(); });
    };
    look();
  })()`);
}

async function clickStamped(page: Page, name: string, key: string): Promise<void> {
  await page.evaluate(`(() => {
    const marks = (globalThis.__marks ??= {});
    document.addEventListener('click', (e) => {
      if (e.target.closest('button')?.textContent.trim() === ${JSON.stringify(name)}) {
        marks[${JSON.stringify(key)}] = performance.timeOrigin + performance.now();
      }
    }, { capture: true, once: true });
  })()`);
  await page.getByRole('button', { name, exact: true }).first().click();
}

async function setup(a: Page, b: Page) {
  const ring: number[] = [];
  const connect: number[] = [];
  const frame: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    await stamp(b, 'ringing', `!!document.querySelector('[role=alertdialog]')`);
    await stamp(a, 'connected', `document.body.textContent.includes('In a call with')`);
    await watchFirstFrame(a);
    await clickStamped(a, 'Video call', 'click');
    const ringingAt = await mark(b, 'ringing');
    await clickStamped(b, 'Accept', 'accept');
    const connectedAt = await mark(a, 'connected');
    const frameAt = await mark(a, 'firstFrame');
    const clickAt = await mark(a, 'click');
    const acceptAt = await mark(b, 'accept');
    ring.push(ringingAt - clickAt);
    connect.push(connectedAt - acceptAt);
    frame.push(frameAt - acceptAt);
    await a.getByRole('button', { name: 'Hang up' }).click();
    await b.getByRole('button', { name: 'Close' }).click({ timeout: 10_000 });
    await a.getByRole('button', { name: 'Close' }).click({ timeout: 10_000 });
  }
  return {
    calls: CALLS,
    // The session's first call also loads WebRTC's code: shown on its own, and in the median.
    firstCall: { ringMs: r1(ring[0]!), connectMs: r1(connect[0]!), frameMs: r1(frame[0]!) },
    clickToRingingMs: r1(median(ring)),
    acceptToConnectedMs: r1(median(connect)),
    acceptToFirstFrameMs: r1(median(frame)),
    clickToConnectedMs: r1(median(ring) + median(connect)),
    clickToFirstFrameMs: r1(median(ring) + median(frame)),
    samples: { ring: ring.map(r1), connect: connect.map(r1), frame: frame.map(r1) },
  };
}

/**
 * A group call of three: Ann rings #bench, Ben and Cat accept at the same moment; from the later
 * Accept to every page showing both others connected (three connections, the mesh complete).
 */
async function groupSetup(a: Page, b: Page, c: Page, video: boolean) {
  const complete: number[] = [];
  await a.getByRole('button', { name: /^#bench/ }).click();
  await a
    .getByRole('complementary', { name: 'Members of bench' })
    .getByRole('button', { name: 'Message Cat' })
    .waitFor();
  for (let i = 0; i < GROUP_CALLS; i++) {
    for (const [page, others] of [
      [a, ['Ben', 'Cat']],
      [b, ['Ann', 'Cat']],
      [c, ['Ann', 'Ben']],
    ] as const) {
      const both = others.map((n) => `s.includes(${JSON.stringify(n)})`).join(' && ');
      await stamp(
        page,
        'mesh',
        `(() => { const s = document.querySelector('.call-status')?.textContent ?? '';
          return s.startsWith('In a call with') && ${both}; })()`,
      );
    }
    await a.getByRole('button', { name: video ? 'Video call' : 'Call', exact: true }).click();
    const dialogs = [b, c].map((p) =>
      p.getByRole('alertdialog', { name: 'Incoming call' }).getByRole('button', { name: 'Accept' }),
    );
    await Promise.all(dialogs.map((d) => d.waitFor({ timeout: 20_000 })));
    await Promise.all([clickStamped(b, 'Accept', 'accept'), clickStamped(c, 'Accept', 'accept')]);
    const accepted = Math.max(await mark(b, 'accept'), await mark(c, 'accept'));
    const done = Math.max(...(await Promise.all([a, b, c].map((p) => mark(p, 'mesh')))));
    complete.push(done - accepted);
    await a.getByRole('button', { name: 'Hang up' }).click();
    await b.getByRole('button', { name: 'Hang up' }).click({ timeout: 10_000 });
    for (const p of [a, b, c])
      await p.getByRole('button', { name: 'Close' }).click({ timeout: 10_000 });
  }
  return {
    calls: GROUP_CALLS,
    acceptToMeshMs: r1(median(complete)),
    samples: complete.map(r1),
  };
}

async function fileTransfer(a: Page, b: Page) {
  await a.getByRole('button', { name: 'Call', exact: true }).click();
  await b
    .getByRole('alertdialog', { name: 'Incoming call' })
    .getByRole('button', { name: 'Accept' })
    .click();
  await a.getByText('In a call with').waitFor({ timeout: 20_000 });
  const path = join(tempDir('parley-bench-file-'), 'bench.bin');
  writeFileSync(path, randomBytes(FILE_MB * 1024 * 1024));
  await a.getByLabel('Send a file').setInputFiles(path);
  const incoming = b.getByRole('listitem', { name: 'Receiving bench.bin' });
  // The receiver accepts first; the timing starts there (data-started is set on accepting).
  await incoming.getByRole('button', { name: 'Accept' }).click();
  await b.getByText('SHA-256 verified').waitFor({ timeout: 300_000 });
  const outgoing = a.getByRole('listitem', { name: 'Sending bench.bin' });
  await outgoing.getByText('Sent').waitFor({ timeout: 10_000 });
  const started = Number(await incoming.getAttribute('data-started'));
  const finished = Number(await incoming.getAttribute('data-finished'));
  const maxBuffered = Number(await outgoing.getAttribute('data-max-buffered'));
  const seconds = (finished - started) / 1000;
  await a.getByRole('button', { name: 'Hang up' }).click();
  return {
    megabytes: FILE_MB,
    seconds: r1(seconds),
    mbPerSecond: r1(FILE_MB / seconds),
    maxBufferedMB: r1(maxBuffered / 1024 / 1024),
    sha256: 'matched',
  };
}

/**
 * The reference, in the same run: two bare RTCPeerConnections in one page, one negotiated data
 * channel, the same chunk size and watermarks, no app. What this machine's WebRTC can do.
 */
async function bareChannel(page: Page, megabytes: number): Promise<number> {
  return page.evaluate<number>(`(async () => {
    const a = new RTCPeerConnection(), b = new RTCPeerConnection();
    a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
    b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
    const tx = a.createDataChannel('ref', { negotiated: true, id: 7 });
    const rx = b.createDataChannel('ref', { negotiated: true, id: 7 });
    rx.binaryType = 'arraybuffer';
    const offer = await a.createOffer(); await a.setLocalDescription(offer); await b.setRemoteDescription(offer);
    const answer = await b.createAnswer(); await b.setLocalDescription(answer); await a.setRemoteDescription(answer);
    await new Promise((r) => (tx.readyState === 'open' ? r() : (tx.onopen = r)));
    const total = ${megabytes} * 1048576, chunk = new Uint8Array(256 * 1024 - 1024);
    let got = 0, sent = 0;
    const done = new Promise((r) => (rx.onmessage = (e) => { got += e.data.byteLength; if (got >= total) r(); }));
    tx.bufferedAmountLowThreshold = 2 << 20;
    const t0 = performance.now();
    while (sent < total) {
      if (tx.bufferedAmount > 8 << 20) {
        await new Promise((r) => tx.addEventListener('bufferedamountlow', r, { once: true }));
        continue;
      }
      tx.send(chunk); sent += chunk.length;
    }
    await done;
    const seconds = (performance.now() - t0) / 1000;
    a.close(); b.close();
    return total / 1048576 / seconds;
  })()`);
}

async function main(): Promise<void> {
  if (!HAVE_CHROMIUM) {
    console.log('bench:call needs Chromium (apt-get install chromium); skipped.');
    return;
  }
  if (process.argv.includes('--sfu-only')) {
    await sfuPart();
    return;
  }
  const server = await startTestServer();
  const browser = await launchChromium([
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    '--autoplay-policy=no-user-gesture-required',
  ]);
  const desks: DesktopPage[] = [];
  const results: Record<string, unknown> = { date: new Date().toISOString(), quick };
  try {
    for (const [name, display] of [
      ['ann', 'Ann'],
      ['ben', 'Ben'],
      ['cat', 'Cat'],
    ] as const) {
      const desk = await openDesktop(browser, server.url);
      const account = await desk.core.signUp(server.url, name, 'bench password', display);
      await until(() => desk.core.listAccounts()[0]?.status.state === 'online', 'online', 10_000);
      await desk.core.request(account.id, 'join', { group: 'bench' });
      await desk.page.reload();
      desks.push(desk);
    }
    const [a, b, c] = [desks[0]!.page, desks[1]!.page, desks[2]!.page];
    await a.getByRole('button', { name: /^#bench/ }).click();
    await a
      .getByRole('complementary', { name: 'Members of bench' })
      .getByRole('button', { name: 'Message Ben' })
      .click();
    await a.getByRole('heading', { name: 'Ben' }).waitFor();
    results.setup = await setup(a, b);
    console.log('call setup', results.setup);
    results.file = await fileTransfer(a, b);
    const reference = r1(await bareChannel(a, REFERENCE_MB));
    const file = results.file as { mbPerSecond: number };
    results.file = {
      ...file,
      bareChannelMbPerSecond: reference,
      ratio: r1(file.mbPerSecond / reference),
    };
    console.log('file transfer', results.file);
    results.group = await groupSetup(a, b, c, true);
    console.log('group video call', results.group);
    results.groupAudio = await groupSetup(a, b, c, false);
    console.log('group audio call', results.groupAudio);
  } finally {
    for (const d of desks) await d.close();
    await browser.close();
    await server.stop();
  }
  if (quick) return;
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'call.json'), `${JSON.stringify(results, null, 2)}\n`);
  const s = results.setup as Record<string, number>;
  const f = results.file as Record<string, number>;
  const g = results.group as Record<string, number>;
  const ga = results.groupAudio as Record<string, number>;
  const first = (results.setup as { firstCall: Record<string, number> }).firstCall;
  const md = `# Call benchmark results (${results.date as string})

| figure | result | target |
| --- | --- | --- |
| click → the other side rings (median of ${CALLS}) | ${s.clickToRingingMs} ms | |
| Accept → caller connected | ${s.acceptToConnectedMs} ms | |
| click → connected, without the callee's reaction | ${s.clickToConnectedMs} ms | < 300 ms |
| click → first remote frame, without the callee's reaction | ${s.clickToFirstFrameMs} ms | < 800 ms |
| the session's first call (WebRTC's code loads): ring, Accept → connected, Accept → frame | ${first.ringMs} / ${first.connectMs} / ${first.frameMs} ms | |
| group video call of 3: the later Accept → all three pages connected to both others (median of ${GROUP_CALLS}) | ${g.acceptToMeshMs} ms | |
| the same, audio only | ${ga.acceptToMeshMs} ms | |
| ${FILE_MB} MB over the file-transfer channel | ${f.mbPerSecond} MB/s (${f.seconds} s), largest bufferedAmount ${f.maxBufferedMB} MB, SHA-256 matched; a bare data channel in the same run: ${f.bareChannelMbPerSecond} MB/s (ratio ${f.ratio}) | ≥ 40 MB/s, < 16 MB buffered |
`;
  writeFileSync(join(RESULTS, 'call.md'), md);
  console.log(md);
  await sfuPart();
}

/** Part 4: the SFU against the mesh, in this run (sfu.ts). */
async function sfuPart(): Promise<void> {
  if (!HAVE_JANUS) {
    console.log(`bench:call's SFU part needs Janus: ${JANUS_PROBLEM}; skipped.`);
    return;
  }
  const result = await benchSfu(quick ? 3_000 : 10_000, quick ? [2, 4] : [2, 4, 8, 16]);
  const date = new Date().toISOString();
  if (quick) return;
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(
    join(RESULTS, 'call-sfu.json'),
    `${JSON.stringify({ date, ...result }, null, 2)}\n`,
  );
  const at = (n: number) => result.sfu.find((r) => r.people === n);
  const ratio = at(16) && at(2) ? r1(at(16)!.uploadKBps / at(2)!.uploadKBps) : undefined;
  const rows = [
    ...result.sfu.map(
      (r) =>
        `| SFU, ${r.people} people | ${r.uploadKBps} KB/s | ${r.cpuPercent} % | ${r.joinToFirstFrameMs} ms | ${r.janusCpuPercent} % for ${r.forwardedVideoStreams} video streams (${r.janusCpuPerStreamPercent} % each) |`,
    ),
    ...result.mesh.map(
      (r) => `| mesh, ${r.people} people | ${r.uploadKBps} KB/s | ${r.cpuPercent} % | | |`,
    ),
  ];
  const md = `# Group call benchmark: SFU against mesh (${date})

One participant alone in its own Chromium sends 640x360 at 15 fps (two simulcast layers through
the SFU; one stream per peer in the mesh); its upload is its connections' bytes sent, its CPU its
browser's process tree, over ${quick ? 3 : 10} s windows. The other participants are publisher pages
(160x120) in a second Chromium. Janus's CPU is its process's over the same window.

| call | upload | CPU (measured browser) | join → first remote frame | Janus CPU |
| --- | --- | --- | --- | --- |
${rows.join('\n')}

SFU upload at 16 / at 2: **${ratio ?? 'n/a'}x** (target ≤ 1.3x). Join → first remote frame target: < 1 s.
`;
  writeFileSync(join(RESULTS, 'call-sfu.md'), md);
  console.log(md);
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
