// `npm run bench:files`: a 200 MB attachment up and down on loopback, three ways, in one run:
//   - reference: a bare Node HTTP server that pipes the request body to a file and a file back
//     (what any server must at least do);
//   - Parley over HTTP: POST /v1/files and GET /v1/files/ID on a real server (auth, membership,
//     hashing, the filesystem BlobStore);
//   - Parley through the desktop core: FileTransfers, in 160 KiB chunks as the app sends them
//     (the renderer's IPC hop is not in it).
// Memory: the server process's RSS is sampled during each transfer; the bytes never sit in memory
// whole. Writes bench/results/files.json and bench/results/files.md. `-- --quick`: 50 MB.
import { createHash } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { FileTransfers } from '../../src/main/core/file-transfers.js';
import { FILE_CHUNK_BYTES } from '../../src/shared/files.js';
import { defaultConfig, withOverrides } from '../../src/server/config.js';
import { startServer } from '../../src/server/server.js';

const RESULTS = fileURLToPath(new URL('../results/', import.meta.url));
const quick = process.argv.includes('--quick');
const SIZE = (quick ? 50 : 200) * 1_000_000;
const CHUNK = 1024 * 1024;
const ROUNDS = quick ? 1 : 3;
const TARGET_MB_S = 100;
const log = (s: string) => console.log(`[bench:files] ${s}`);

// One random MiB, repeated: the bytes are not compressible and cost nothing to make.
const block = Buffer.alloc(CHUNK);
for (let i = 0; i < CHUNK; i += 4) block.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, i);
function* body(): Generator<Buffer> {
  for (let sent = 0; sent < SIZE; sent += CHUNK)
    yield block.subarray(0, Math.min(CHUNK, SIZE - sent));
}
const expectedSha = (() => {
  const h = createHash('sha256');
  for (const b of body()) h.update(b);
  return h.digest('hex');
})();

/** Samples this process's RSS while `work` runs; answers the peak above the start. */
async function peakRss<T>(
  work: () => Promise<T>,
): Promise<{ result: T; peakMb: number; ms: number }> {
  global.gc?.();
  const start = process.memoryUsage().rss;
  let peak = start;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const t0 = performance.now();
  try {
    const result = await work();
    return { result, peakMb: (peak - start) / 1e6, ms: performance.now() - t0 };
  } finally {
    clearInterval(timer);
  }
}

function upload(url: string, headers: Record<string, string>): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: {
        'content-length': String(SIZE),
        'content-type': 'application/octet-stream',
        ...headers,
      },
    });
    req.on('response', resolve);
    req.on('error', reject);
    pipeline(Readable.from(body()), req).catch(reject);
  });
}

/** Reads a response to the end, hashing it; answers the byte count and hash. */
async function drain(res: IncomingMessage): Promise<{ bytes: number; sha256: string }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    h.update(chunk);
  }
  return { bytes, sha256: h.digest('hex') };
}

function get(url: string, headers: Record<string, string> = {}): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers });
    req.on('response', resolve);
    req.on('error', reject);
    req.end();
  });
}

const mbps = (ms: number) => SIZE / 1e6 / (ms / 1000);
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'parley-bench-files-'));
  try {
    // ---- the reference: pipe to a file, pipe back ----------------------------------------
    const refDir = join(root, 'ref');
    mkdirSync(refDir);
    const ref = createServer((req, res) => {
      const file = join(refDir, 'blob');
      if (req.method === 'POST') {
        void pipeline(req, createWriteStream(file)).then(() => res.end('ok'));
      } else {
        res.writeHead(200, { 'content-length': String(SIZE) });
        void pipeline(createReadStream(file), res);
      }
    });
    await new Promise<void>((r) => ref.listen(0, '127.0.0.1', r));
    const refUrl = `http://127.0.0.1:${(ref.address() as AddressInfo).port}/`;

    // ---- Parley ----------------------------------------------------------------------------
    const dataDir = join(root, 'parley');
    const server = await startServer(
      withOverrides(defaultConfig(dataDir), {
        port: 0,
        logLevel: 'error',
        scryptCost: 1024,
        limits: { maxFileBytes: SIZE },
      }),
    );
    const created = await fetch(`${server.url}/v1/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'bench', password: 'bench password ok' }),
    });
    const { userId } = (await created.json()) as { userId: string };
    const { token } = await server.tokens.issue(userId, 0);
    await server.store.joinGroup('files', userId);
    const auth = { authorization: `Bearer ${token}` };
    const core = new FileTransfers(server.url, () => Promise.resolve(token));

    const runs: Record<string, { up: number[]; down: number[]; upMb: number[]; downMb: number[] }> =
      {
        reference: { up: [], down: [], upMb: [], downMb: [] },
        parleyHttp: { up: [], down: [], upMb: [], downMb: [] },
        parleyCore: { up: [], down: [], upMb: [], downMb: [] },
      };
    for (let round_ = 0; round_ < ROUNDS; round_++) {
      let fileId = '';
      // Reference.
      let r = await peakRss(async () => drain(await upload(refUrl, {})));
      runs.reference!.up.push(r.ms);
      runs.reference!.upMb.push(r.peakMb);
      const rd = await peakRss(async () => drain(await get(refUrl)));
      if (rd.result.sha256 !== expectedSha) throw new Error('the reference download differs');
      runs.reference!.down.push(rd.ms);
      runs.reference!.downMb.push(rd.peakMb);

      // Parley over HTTP.
      r = await peakRss(async () => {
        const res = await upload(
          `${server.url}/v1/files?conversation=group:files&name=big.bin`,
          auth,
        );
        const chunks: Buffer[] = [];
        for await (const c of res as AsyncIterable<Buffer>) chunks.push(c);
        if (res.statusCode !== 201) throw new Error(`upload answered ${res.statusCode}`);
        const file = JSON.parse(Buffer.concat(chunks).toString()) as {
          fileId: string;
          sha256: string;
        };
        if (file.sha256 !== expectedSha) throw new Error('the Parley upload differs');
        fileId = file.fileId;
        return { bytes: SIZE, sha256: file.sha256 };
      });
      runs.parleyHttp!.up.push(r.ms);
      runs.parleyHttp!.upMb.push(r.peakMb);
      const pd = await peakRss(async () =>
        drain(await get(`${server.url}/v1/files/${fileId}`, auth)),
      );
      if (pd.result.sha256 !== expectedSha) throw new Error('the Parley download differs');
      runs.parleyHttp!.down.push(pd.ms);
      runs.parleyHttp!.downMb.push(pd.peakMb);

      // Parley through the desktop core, in the app's chunks.
      const cu = await peakRss(async () => {
        const { uploadId } = await core.startUpload({
          conversation: 'group:files',
          name: 'core.bin',
          type: 'application/octet-stream',
          size: SIZE,
        });
        for (const b of body()) {
          for (let at = 0; at < b.length; at += FILE_CHUNK_BYTES) {
            await core.sendChunk(uploadId, b.subarray(at, at + FILE_CHUNK_BYTES));
          }
        }
        return core.finishUpload(uploadId);
      });
      if (cu.result.sha256 !== expectedSha) throw new Error('the core upload differs');
      runs.parleyCore!.up.push(cu.ms);
      runs.parleyCore!.upMb.push(cu.peakMb);
      const cd = await peakRss(async () => {
        const { downloadId } = await core.startDownload(cu.result.fileId);
        const h = createHash('sha256');
        for (;;) {
          const { data, done } = await core.readChunk(downloadId);
          h.update(data);
          if (done) break;
        }
        return h.digest('hex');
      });
      if (cd.result !== expectedSha) throw new Error('the core download differs');
      runs.parleyCore!.down.push(cd.ms);
      runs.parleyCore!.downMb.push(cd.peakMb);
      const last = (k: string, d: 'up' | 'down') => round(mbps(runs[k]![d].at(-1)!));
      log(
        `round ${round_ + 1} (MB/s): reference ${last('reference', 'up')} up, ` +
          `${last('reference', 'down')} down; Parley ${last('parleyHttp', 'up')} / ` +
          `${last('parleyHttp', 'down')}; core ${last('parleyCore', 'up')} / ${last('parleyCore', 'down')}`,
      );
    }
    core.dispose();
    await server.close();
    await new Promise((r) => ref.close(r));

    const summary = Object.fromEntries(
      Object.entries(runs).map(([k, v]) => [
        k,
        {
          uploadMBs: round(mbps(median(v.up))),
          downloadMBs: round(mbps(median(v.down))),
          uploadPeakRssMB: round(Math.max(...v.upMb)),
          downloadPeakRssMB: round(Math.max(...v.downMb)),
        },
      ]),
    ) as Record<
      string,
      { uploadMBs: number; downloadMBs: number; uploadPeakRssMB: number; downloadPeakRssMB: number }
    >;
    const result = {
      date: new Date().toISOString(),
      sizeMB: SIZE / 1e6,
      rounds: ROUNDS,
      summary,
      ratios: {
        httpUpload: round(summary.parleyHttp!.uploadMBs / summary.reference!.uploadMBs, 2),
        httpDownload: round(summary.parleyHttp!.downloadMBs / summary.reference!.downloadMBs, 2),
        coreUpload: round(summary.parleyCore!.uploadMBs / summary.reference!.uploadMBs, 2),
        coreDownload: round(summary.parleyCore!.downloadMBs / summary.reference!.downloadMBs, 2),
      },
      targetMBs: TARGET_MB_S,
    };
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(`${RESULTS}files.json`, `${JSON.stringify(result, null, 2)}\n`);
    const row = (name: string, k: string) => {
      const s = summary[k]!;
      return `| ${name} | ${s.uploadMBs} | ${s.downloadMBs} | ${s.uploadPeakRssMB} / ${s.downloadPeakRssMB} |`;
    };
    const md = `# Files benchmark (${result.date.slice(0, 10)})

One ${result.sizeMB} MB file up and down on loopback, median of ${ROUNDS} rounds; the client, the
servers and the disk share the machine. Peak RSS: the growth of the one process holding client
and servers during the transfer.

| path | upload MB/s | download MB/s | peak RSS growth up / down (MB) |
| --- | --- | --- | --- |
${row('reference: bare Node HTTP, pipe to and from a file', 'reference')}
${row('Parley: POST / GET /v1/files', 'parleyHttp')}
${row('Parley through the desktop core (160 KiB chunks)', 'parleyCore')}

Parley ÷ reference: HTTP upload ${result.ratios.httpUpload}, download ${result.ratios.httpDownload};
desktop core upload ${result.ratios.coreUpload}, download ${result.ratios.coreDownload}. Target:
≥ ${TARGET_MB_S} MB/s both ways.
`;
    writeFileSync(`${RESULTS}files.md`, md);
    log(md);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
