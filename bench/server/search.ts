// `npm run bench:search`: full-text search over 1,000,000 stored messages (SQLite, FTS5), asked
// through a real server over a real WebSocket, one query at a time. The reference, measured in
// the same run on the same server and socket: `history` (the newest 50 messages of a
// conversation), the request every conversation open makes. Also: what the search index costs
// each append (a store with the index against the same store with its triggers dropped).
//
// Writes bench/results/search.json and bench/results/search.md. `-- --quick` stores 100,000.
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { defaultConfig, withOverrides } from '../../src/server/config.js';
import { startServer } from '../../src/server/server.js';
import { openSqliteSyncStore } from '../../src/server/store/sqlite/index.js';
import type { SyncStore } from '../../src/server/store/store.js';
import { ProtoClient } from '../../tests/helpers/proto-client.js';

const RESULTS = fileURLToPath(new URL('../results/', import.meta.url));
const quick = process.argv.includes('--quick');
const MESSAGES = quick ? 100_000 : 1_000_000;
const USERS = 200;
const GROUPS = 100;
const GROUPS_PER_USER = 10;
const VOCABULARY = 20_000;
const QUERIES_PER_KIND = quick ? 50 : 200;
/** Appends timed with and without the search index, each. */
const APPEND_SAMPLE = quick ? 10_000 : 50_000;
const TARGET_P99_MS = 50;

const log = (s: string) => console.log(`[bench:search] ${s}`);

/** A small seeded generator: the same corpus every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(42);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

/** Pseudo-words, the most frequent first; drawn by Zipf's law (s = 1) as natural language is. */
const words: string[] = [];
{
  const seen = new Set<string>();
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  while (words.length < VOCABULARY) {
    const len = 3 + Math.floor(random() * 8);
    let w = '';
    for (let i = 0; i < len; i++) w += letters[Math.floor(random() * 26)];
    if (!seen.has(w)) {
      seen.add(w);
      words.push(w);
    }
  }
}
const cdf: number[] = [];
{
  let total = 0;
  for (let r = 1; r <= VOCABULARY; r++) cdf.push((total += 1 / r));
  for (let i = 0; i < cdf.length; i++) cdf[i]! /= total;
}
function zipfWord(): string {
  const x = random();
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return words[lo]!;
}
function sentence(): string {
  const n = 4 + Math.floor(random() * 16);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(zipfWord());
  return out.join(' ');
}

interface Corpus {
  userIds: string[];
  memberOf: Map<string, string[]>;
}

function createPeople(store: SyncStore): Corpus {
  const userIds: string[] = [];
  for (let i = 0; i < USERS; i++) {
    const u = store.createUser({ username: `user${i}`, displayName: `User ${i}`, passHash: 'x' })!;
    userIds.push(u.userId);
  }
  const memberOf = new Map<string, string[]>();
  for (const userId of userIds) {
    const groups = new Set<string>();
    while (groups.size < GROUPS_PER_USER) groups.add(`g${Math.floor(random() * GROUPS)}`);
    for (const g of groups) {
      store.joinGroup(g, userId);
      memberOf.set(g, [...(memberOf.get(g) ?? []), userId]);
    }
  }
  return { userIds, memberOf };
}

let clientIds = 0;
function append(store: SyncStore, corpus: Corpus): void {
  const groups = [...corpus.memberOf.keys()];
  // One message in 20 is a dm between two people; the rest go to groups, from a member.
  if (random() < 0.05) {
    const a = pick(corpus.userIds);
    let b = pick(corpus.userIds);
    if (b === a) b = corpus.userIds[(corpus.userIds.indexOf(a) + 1) % USERS]!;
    store.appendMessage({
      convId: a < b ? `dm:${a}|${b}` : `dm:${b}|${a}`,
      dmPair: a < b ? [a, b] : [b, a],
      sender: { user_id: a, cid: 'bench', displayName: a },
      clientMsgId: `c${++clientIds}`,
      body: { text: sentence() },
      ts: Date.now(),
    });
    return;
  }
  const group = pick(groups);
  const from = pick(corpus.memberOf.get(group)!);
  store.appendMessage({
    convId: `group:${group}`,
    sender: { user_id: from, cid: 'bench', displayName: from },
    clientMsgId: `c${++clientIds}`,
    body: { text: sentence() },
    ts: Date.now(),
  });
}

/** µs per append for `n` appends. */
function timeAppends(store: SyncStore, corpus: Corpus, n: number): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) append(store, corpus);
  return Number(process.hrtime.bigint() - t0) / 1000 / n;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'parley-bench-search-'));
  try {
    // ---- what the index costs an append: the same store, its search triggers dropped ------
    const bareFile = join(root, 'bare.db');
    const bare = openSqliteSyncStore(bareFile);
    const bareCorpus = createPeople(bare);
    bare.close();
    const raw = new Database(bareFile);
    raw.exec(`DROP TRIGGER messages_fts_insert; DROP TRIGGER messages_fts_update;
              DROP TRIGGER messages_fts_delete;`);
    raw.close();
    const bareAgain = openSqliteSyncStore(bareFile);
    timeAppends(bareAgain, bareCorpus, 2_000); // warm-up
    const bareMicros = timeAppends(bareAgain, bareCorpus, APPEND_SAMPLE);
    bareAgain.close();

    // ---- the corpus ---------------------------------------------------------------------
    const dataDir = join(root, 'server');
    mkdirSync(dataDir);
    const store = openSqliteSyncStore(join(dataDir, 'parley.db'));
    const corpus = createPeople(store);
    timeAppends(store, corpus, 2_000);
    const indexedMicros = timeAppends(store, corpus, APPEND_SAMPLE);
    log(
      `append: ${round(indexedMicros)} µs with the search index, ${round(bareMicros)} µs without`,
    );
    const started = Date.now();
    let stored = 2_000 + APPEND_SAMPLE;
    while (stored < MESSAGES) {
      append(store, corpus);
      stored++;
      if (stored % 100_000 === 0) log(`${stored.toLocaleString()} messages stored`);
    }
    store.close();
    const fillSeconds = (Date.now() - started) / 1000;
    const dbBytes = statSync(join(dataDir, 'parley.db')).size;
    const probe = new Database(join(dataDir, 'parley.db'), { readonly: true });
    const ftsBytes = (
      probe
        .prepare(`SELECT coalesce(sum(pgsize), 0) AS n FROM dbstat WHERE name LIKE 'messages_fts%'`)
        .get() as { n: number }
    ).n;
    probe.close();

    // ---- the server and one searching user ------------------------------------------------
    const config = withOverrides(defaultConfig(dataDir), {
      port: 0,
      logLevel: 'error',
      limits: { requestsPerSecond: 1_000_000, requestBurst: 1_000_000 },
    });
    const server = await startServer(config);
    const me = corpus.userIds[0]!;
    const mine = [...corpus.memberOf].filter(([, m]) => m.includes(me)).map(([g]) => g);
    const { token } = await server.tokens.issue(me, 0);
    const client = await ProtoClient.connect(`ws://127.0.0.1:${server.port}/v1/realtime`, token);

    const kinds: { name: string; params: () => Record<string, unknown> }[] = [
      {
        name: 'frequent word (rank 1–10)',
        params: () => ({ query: words[Math.floor(random() * 10)] }),
      },
      {
        name: 'middling word (rank 100–1,000)',
        params: () => ({ query: words[100 + Math.floor(random() * 900)] }),
      },
      {
        name: 'rare word (rank 10,000–20,000)',
        params: () => ({ query: words[10_000 + Math.floor(random() * 10_000)] }),
      },
      {
        name: 'two middling words',
        params: () => ({
          query: `${words[100 + Math.floor(random() * 900)]} ${words[100 + Math.floor(random() * 900)]}`,
        }),
      },
      {
        name: 'a 3-letter prefix',
        params: () => ({ query: words[Math.floor(random() * 2_000)]!.slice(0, 3) }),
      },
      { name: 'no such word', params: () => ({ query: `zz${Math.floor(random() * 1e9)}q` }) },
      {
        name: 'one group, middling word',
        params: () => ({
          query: words[100 + Math.floor(random() * 900)],
          conversation: `group:${pick(mine)}`,
        }),
      },
    ];
    const reference = () => ({ conversation: `group:${pick(mine)}`, limit: 50 });

    async function timed(type: string, params: Record<string, unknown>): Promise<number> {
      const t0 = performance.now();
      await client.ok(type, params);
      return performance.now() - t0;
    }
    // Warm-up: the first queries read the index from disk into the page cache.
    for (let i = 0; i < 50; i++) {
      await timed('search', pick(kinds).params());
      await timed('history', reference());
    }
    const perKind: Record<string, number[]> = {};
    const all: number[] = [];
    const history: number[] = [];
    let hits = 0;
    // Interleaved, so both feel the same moments of a shared machine.
    for (let i = 0; i < QUERIES_PER_KIND; i++) {
      for (const k of kinds) {
        const params = k.params();
        const t0 = performance.now();
        const r = await client.ok<{ results: unknown[] }>('search', params);
        const ms = performance.now() - t0;
        hits += r.results.length;
        (perKind[k.name] ??= []).push(ms);
        all.push(ms);
        history.push(await timed('history', reference()));
      }
    }
    await client.close();
    await server.close();

    const summary = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return {
        p50: round(percentile(s, 50)),
        p99: round(percentile(s, 99)),
        max: round(s.at(-1)!),
      };
    };
    const overall = summary(all);
    const ref = summary(history);
    const result = {
      date: new Date().toISOString(),
      messages: MESSAGES,
      users: USERS,
      groups: GROUPS,
      searcherReads: `${GROUPS_PER_USER} groups of ${GROUPS} and their dms`,
      fillSeconds: round(fillSeconds, 1),
      dbBytes,
      ftsBytes,
      appendMicros: { withIndex: round(indexedMicros), withoutIndex: round(bareMicros) },
      queries: all.length,
      averageHits: round(hits / all.length, 1),
      search: overall,
      historyReference: ref,
      ratioP99: round(overall.p99 / ref.p99),
      targetP99Ms: TARGET_P99_MS,
      met: overall.p99 < TARGET_P99_MS,
      perKind: Object.fromEntries(Object.entries(perKind).map(([k, v]) => [k, summary(v)])),
    };
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(`${RESULTS}search.json`, `${JSON.stringify(result, null, 2)}\n`);
    const rows = Object.entries(result.perKind)
      .map(([k, v]) => `| ${k} | ${v.p50} | ${v.p99} | ${v.max} |`)
      .join('\n');
    const md = `# Search benchmark (${result.date.slice(0, 10)})

${MESSAGES.toLocaleString()} messages (SQLite, FTS5), ${USERS} users, ${GROUPS} groups; the
searching user reads ${result.searcherReads}. One query at a time over a WebSocket; ${all.length}
searches (${QUERIES_PER_KIND} of each kind), interleaved with as many \`history\` requests.

| measure | p50 ms | p99 ms | max ms |
| --- | --- | --- | --- |
| **search, all kinds** | ${overall.p50} | **${overall.p99}** | ${overall.max} |
| history (newest 50), reference | ${ref.p50} | ${ref.p99} | ${ref.max} |
${rows}

Search p99 ÷ history p99: **${result.ratioP99}**. Target: search p99 < ${TARGET_P99_MS} ms: **${result.met ? 'met' : 'missed'}**.
Average hits per search: ${result.averageHits} (a page is 20).

Append with the search index: ${result.appendMicros.withIndex} µs; without (triggers dropped):
${result.appendMicros.withoutIndex} µs (× ${round(indexedMicros / bareMicros)}). Database
${(dbBytes / 1e6).toFixed(0)} MB, of which the search index ${(ftsBytes / 1e6).toFixed(0)} MB.
Filling took ${result.fillSeconds} s.
`;
    writeFileSync(`${RESULTS}search.md`, md);
    log(md);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
