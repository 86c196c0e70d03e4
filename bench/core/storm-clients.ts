// Child process of bench/core/reconnect.ts: N real RealtimeClients (the desktop core's own class),
// each with its ConversationState, against one server on loopback. Reports over IPC.
import { performance } from 'node:perf_hooks';
import { ConversationState } from '../../src/main/core/conversations.js';
import { RealtimeClient } from '../../src/main/core/realtime-client.js';
import { wsSocketFactory } from '../../src/main/core/ws-socket.js';

export type StormRequest =
  | {
      type: 'start';
      url: string;
      users: { userId: string; token: string }[];
      clients: number;
      group: string;
    }
  | { type: 'mark'; expectTexts: string[] }
  | { type: 'report' }
  | { type: 'stop' };

interface One {
  client: RealtimeClient;
  state: ConversationState;
  texts: Set<string>;
  onlineAt: number;
  /** When it was online again and held every expected message. */
  resumedAt: number;
}

let all: One[] = [];
/** performance.now() of every connection attempt, for the attempts-per-second peak. */
const attempts: number[] = [];
let markAt = 0;
let expected: string[] = [];

function check(one: One): void {
  if (one.resumedAt || !markAt || one.client.status.state !== 'online') return;
  if (expected.every((t) => one.texts.has(t))) one.resumedAt = performance.now();
}

process.on('message', (msg: StormRequest) => {
  void (async () => {
    if (msg.type === 'start') {
      all = Array.from({ length: msg.clients }, (_, i) => {
        const user = msg.users[i % msg.users.length]!;
        const state = new ConversationState(user.userId);
        const one: One = {
          client: undefined as unknown as RealtimeClient,
          state,
          texts: new Set(),
          onlineAt: 0,
          resumedAt: 0,
        };
        one.client = new RealtimeClient({
          url: msg.url,
          token: () => user.token,
          socketFactory: (url) => {
            attempts.push(performance.now());
            return wsSocketFactory(url);
          },
          resumeFrom: () => state.lastSeqs(),
          events: ['message:send', 'resume', 'group:member'],
        });
        one.client.on('status', (s) => {
          if (s.state === 'online') {
            one.onlineAt = performance.now();
            // As the desktop's Session does: learn every conversation, even empty ones, so the
            // next reconnection resumes them all.
            one.client.request('conversations', {}).then(
              (r) => state.load(r.list),
              () => undefined,
            );
          }
          check(one);
        });
        one.client.on('event', (e) => {
          state.apply(e);
          if (e.event === 'message:send') one.texts.add(e.data.body?.text ?? '');
          check(one);
        });
        return one;
      });
      // Ramp up 200 at a time so the start itself is not the storm being measured.
      for (let i = 0; i < all.length; i += 200) {
        const batch = all.slice(i, i + 200);
        for (const one of batch) one.client.start();
        while (!batch.every((o) => o.client.status.state === 'online'))
          await new Promise((r) => setTimeout(r, 20));
      }
      for (const one of all.filter((_, i) => i < msg.users.length)) {
        await one.client.request('join', { group: msg.group });
      }
      process.send!({ type: 'started' });
    } else if (msg.type === 'mark') {
      markAt = performance.now();
      expected = msg.expectTexts;
      for (const one of all) {
        one.onlineAt = 0;
        one.resumedAt = 0;
      }
      process.send!({ type: 'marked' });
    } else if (msg.type === 'report') {
      for (const one of all) check(one);
      const resumed = all
        .map((o) => o.resumedAt - markAt)
        .filter((t) => t > 0)
        .sort((a, b) => a - b);
      const at = (q: number) => resumed[Math.ceil(all.length * q) - 1] ?? NaN;
      const after = attempts.filter((t) => t >= markAt);
      // Peak attempts within any sliding second, in 100 ms steps.
      let peak = 0;
      for (let start = markAt; start <= (after.at(-1) ?? markAt); start += 100) {
        peak = Math.max(peak, after.filter((t) => t >= start && t < start + 1000).length);
      }
      process.send!({
        type: 'report',
        clients: all.length,
        resumed: resumed.length,
        p50Ms: at(0.5),
        p99Ms: at(0.99),
        maxMs: resumed.length === all.length ? resumed.at(-1)! : NaN,
        attempts: after.length,
        peakAttemptsPerSecond: peak,
        missing: all.reduce((n, o) => n + expected.filter((t) => !o.texts.has(t)).length, 0),
      });
    } else {
      for (const one of all) one.client.dispose();
      process.exit(0);
    }
  })();
});
process.on('disconnect', () => process.exit(0));
