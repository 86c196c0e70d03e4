// `npm run bench:search`: full-text search over 1,000,000 stored messages in 500 conversations
// (SQLite, FTS5), asked through a real server over a real WebSocket, one query at a time, by a
// user who reads 5 of them. The reference, measured in the same run on the same server and
// socket: `history` (the newest 50 messages of a conversation), the request every conversation
// open makes. Also (security review 3, F5/F13):
// - `conversations` (the sidebar, with unread and mention counts) for the same user;
// - another user's `history` on a quiet server, then while one account searches for the worst
//   words it can (eight common two-letter prefixes) on 10 connections, as fast as the default
//   limits allow;
// - what the search index costs each append (the same store with its triggers dropped).
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
const GROUPS = 500;
const GROUPS_PER_USER = 5;
const VOCABULARY = 20_000;
const QUERIES_PER_KIND = quick ? 50 : 200;
/** Appends timed with and without the search index, each. */
const APPEND_SAMPLE = quick ? 10_000 : 50_000;
const TARGET_P99_MS = 20;
const TARGET_CONVERSATIONS_P99_MS = 10;
/** Another user's history p99 under search load, at most this many times its quiet p99. */
const TARGET_LOADED_RATIO = 2;
/** Victim history requests per phase, one every HISTORY_PACE_MS (inside the default limits). */
const VICTIM_REQUESTS = quick ? 100 : 300;
const HISTORY_PACE_MS = 60;
const ATTACK_CONNECTIONS = 10;
const ATTACK_PACE_MS = 250;

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
/** The worst query one account can ask: the eight most common two-letter starts of words. */
const worstQuery = (() => {
  const counts = new Map<string, number>();
  for (const [rank, w] of words.entries()) {
    counts.set(w.slice(0, 2), (counts.get(w.slice(0, 2)) ?? 0) + 1 / (rank + 1));
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([p]) => p)
    .join(' ');
})();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
  // Every group has members (two each): user i is in groups 5i … 5i+4, modulo 500.
  for (const [i, userId] of userIds.entries()) {
    const groups = [...Array(GROUPS_PER_USER)].map(
      (_, k) => `g${(i * GROUPS_PER_USER + k) % GROUPS}`,
    );
    for (const g of groups) {
      store.joinGroup(g, userId);
      memberOf.set(g, [...(memberOf.get(g) ?? []), userId]);
    }
  }
  return { userIds, memberOf };
}

let clientIds = 0;
let groups: string[] = [];
function append(store: SyncStore, corpus: Corpus): void {
  if (groups.length !== corpus.memberOf.size) groups = [...corpus.memberOf.keys()];
  const group = pick(groups);
  const from = pick(corpus.memberOf.get(group)!);
  store.appendMessage({
    convId: `group:${group}`,
    sender: { user_id: from, cid: 'bench', displayName: from },
    clientMsgId: `c${++clientIds}`,
    // One message in 100 mentions a member: the sidebar counts those.
    body: {
      text: random() < 0.01 ? `@user${Math.floor(random() * 10)} ${sentence()}` : sentence(),
    },
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
    const fast = withOverrides(defaultConfig(dataDir), {
      port: 0,
      logLevel: 'error',
      limits: { requestsPerSecond: 1_000_000, requestBurst: 1_000_000 },
    });
    let server = await startServer(fast);
    const [me, victim, attacker] = corpus.userIds as [string, string, string];
    const mine = [...corpus.memberOf].filter(([, m]) => m.includes(me)).map(([g]) => g);
    const victimGroups = [...corpus.memberOf].filter(([, m]) => m.includes(victim));
    const connect = async (userId: string) => {
      const { token } = await server.tokens.issue(userId, 0);
      return ProtoClient.connect(`ws://127.0.0.1:${server.port}/v1/realtime`, token);
    };
    const client = await connect(me);

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
      { name: 'eight 2-letter prefixes', params: () => ({ query: worstQuery }) },
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

    async function timed(
      c: ProtoClient,
      type: string,
      params: Record<string, unknown>,
    ): Promise<number> {
      const t0 = performance.now();
      await c.ok(type, params);
      return performance.now() - t0;
    }
    // Warm-up: the first queries read the index from disk into the page cache.
    for (let i = 0; i < 50; i++) {
      await timed(client, 'search', pick(kinds).params());
      await timed(client, 'history', reference());
      await timed(client, 'conversations', {});
    }
    const perKind: Record<string, number[]> = {};
    const all: number[] = [];
    const history: number[] = [];
    const conversations: number[] = [];
    let hits = 0;
    // Interleaved, so all three feel the same moments of a shared machine.
    for (let i = 0; i < QUERIES_PER_KIND; i++) {
      for (const k of kinds) {
        const params = k.params();
        const t0 = performance.now();
        const r = await client.ok<{ results: unknown[] }>('search', params);
        const ms = performance.now() - t0;
        hits += r.results.length;
        (perKind[k.name] ??= []).push(ms);
        all.push(ms);
        history.push(await timed(client, 'history', reference()));
      }
      conversations.push(await timed(client, 'conversations', {}));
    }
    await client.close();
    await server.close();

    // ---- another user's history, quiet and under one account's searches (default limits) ---
    server = await startServer(
      withOverrides(defaultConfig(dataDir), { port: 0, logLevel: 'error' }),
    );
    const victimClient = await connect(victim);
    const victimHistory = async (): Promise<number[]> => {
      const out: number[] = [];
      for (let i = 0; i < VICTIM_REQUESTS; i++) {
        const [group] = pick(victimGroups);
        out.push(
          await timed(victimClient, 'history', { conversation: `group:${group}`, limit: 50 }),
        );
        await sleep(HISTORY_PACE_MS);
      }
      return out;
    };
    await victimHistory(); // warm-up
    const quiet = await victimHistory();
    const attackers = await Promise.all(
      [...Array(ATTACK_CONNECTIONS)].map(() => connect(attacker)),
    );
    let attacking = true;
    const attack = { answered: 0, busy: 0, limited: 0, closed: 0 };
    // Each connection asks as often as its budget allows (and after the wait the server names
    // when refused): as fast as the default limits let one account search.
    const loops = attackers.map(async (c) => {
      try {
        while (attacking) {
          const t0 = Date.now();
          const reply = await c.request('search', { query: worstQuery }, 30_000);
          if (reply.ok) attack.answered++;
          else if (reply.error?.code === 'BUSY') attack.busy++;
          else attack.limited++;
          // A search costs 5 of the 20 tokens a connection earns each second: one per 250 ms.
          await sleep(Math.max(reply.error?.retryAfterMs ?? 0, ATTACK_PACE_MS - (Date.now() - t0)));
        }
      } catch {
        attack.closed++; // closed by the server: that connection stops
      }
    });
    const loaded = await victimHistory();
    attacking = false;
    await Promise.all(loops);
    for (const c of [...attackers, victimClient]) await c.close();
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
    const convs = summary(conversations);
    const quietRef = summary(quiet);
    const underLoad = summary(loaded);
    const loadedRatio = round(underLoad.p99 / quietRef.p99);
    const result = {
      date: new Date().toISOString(),
      messages: MESSAGES,
      users: USERS,
      groups: GROUPS,
      searcherReads: `${GROUPS_PER_USER} groups of ${GROUPS}`,
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
      conversations: convs,
      conversationsMet: convs.p99 < TARGET_CONVERSATIONS_P99_MS,
      victimHistory: { quiet: quietRef, underSearchLoad: underLoad, ratioP99: loadedRatio },
      victimMet: loadedRatio <= TARGET_LOADED_RATIO,
      attack: { connections: ATTACK_CONNECTIONS, query: worstQuery, ...attack },
      perKind: Object.fromEntries(Object.entries(perKind).map(([k, v]) => [k, summary(v)])),
    };
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(`${RESULTS}search.json`, `${JSON.stringify(result, null, 2)}\n`);
    const rows = Object.entries(result.perKind)
      .map(([k, v]) => `| ${k} | ${v.p50} | ${v.p99} | ${v.max} |`)
      .join('\n');
    const md = `# Search benchmark (${result.date.slice(0, 10)})

${MESSAGES.toLocaleString()} messages (SQLite, FTS5) in ${GROUPS} groups, ${USERS} users; the
searching user reads ${result.searcherReads}. One query at a time over a WebSocket; ${all.length}
searches (${QUERIES_PER_KIND} of each kind), interleaved with as many \`history\` requests and
${conversations.length} \`conversations\`.

| measure | p50 ms | p99 ms | max ms |
| --- | --- | --- | --- |
| **search, all kinds** | ${overall.p50} | **${overall.p99}** | ${overall.max} |
| history (newest 50), reference | ${ref.p50} | ${ref.p99} | ${ref.max} |
| **conversations** (sidebar, unread and mentions) | ${convs.p50} | **${convs.p99}** | ${convs.max} |
${rows}

Search p99 ÷ history p99: **${result.ratioP99}**. Target: search p99 < ${TARGET_P99_MS} ms: **${result.met ? 'met' : 'missed'}**.
Target: conversations p99 < ${TARGET_CONVERSATIONS_P99_MS} ms: **${result.conversationsMet ? 'met' : 'missed'}**.
Average hits per search: ${result.averageHits} (a page is 20).

Another user's \`history\` (default limits, one request every ${HISTORY_PACE_MS} ms, ${VICTIM_REQUESTS} each):

| | p50 ms | p99 ms | max ms |
| --- | --- | --- | --- |
| quiet server | ${quietRef.p50} | ${quietRef.p99} | ${quietRef.max} |
| one account searching "${worstQuery}" on ${ATTACK_CONNECTIONS} connections | ${underLoad.p50} | ${underLoad.p99} | ${underLoad.max} |

Loaded p99 ÷ quiet p99: **${loadedRatio}** (target ≤ ${TARGET_LOADED_RATIO}: **${result.victimMet ? 'met' : 'missed'}**).
The attacker's searches: ${attack.answered} answered, ${attack.busy} refused as BUSY (one at a
time per user), ${attack.limited} rate-limited; ${attack.closed} connections closed by the server.

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
