// A bridge for Node tests of the page's stores: each invoke channel answers from a table the test
// gives (an unanswered channel is refused NOT_FOUND, so a test sees what it did not expect), and
// pushes come from the test. Every call is recorded. Not used by the app.
import { Emitter } from '../../../../shared/emitter';
import type {
  InvokeArgs,
  InvokeOutcome,
  InvokeResults,
  IpcEvents,
  ParleyBridge,
} from '../../../../shared/ipc';
import { bridgeName, INVOKE_CHANNELS, type InvokeChannel } from '../../../../shared/ipc-channels';

export type Answers = {
  [C in InvokeChannel]?: (args: InvokeArgs<C>) => InvokeResults[C] | Promise<InvokeResults[C]>;
};

export interface FakeBridge {
  bridge: ParleyBridge;
  calls: { channel: InvokeChannel; args: unknown }[];
  push<E extends keyof IpcEvents>(event: E, value: IpcEvents[E]): void;
  /** Listeners the page holds on the bridge now. */
  listeners(): number;
}

export function fakeBridge(answers: Answers): FakeBridge {
  const emitter = new Emitter<IpcEvents>();
  const calls: FakeBridge['calls'] = [];
  const bridge: Record<string, unknown> = {
    on: <E extends keyof IpcEvents>(event: E, listener: (value: IpcEvents[E]) => void) => {
      const d = emitter.on(event, listener);
      return () => d.dispose();
    },
  };
  for (const channel of INVOKE_CHANNELS) {
    bridge[bridgeName(channel)] = async (args: unknown): Promise<InvokeOutcome<unknown>> => {
      calls.push({ channel, args });
      const answer = answers[channel] as ((a: unknown) => unknown) | undefined;
      if (!answer) {
        return { ok: false, error: { code: 'NOT_FOUND', message: `no answer for ${channel}` } };
      }
      try {
        return { ok: true, result: await answer(args) };
      } catch (err) {
        const e = err as { code?: string; message?: string };
        return {
          ok: false,
          error: { code: (e.code ?? 'INTERNAL') as 'INTERNAL', message: e.message ?? '' },
        };
      }
    };
  }
  return {
    bridge: bridge as ParleyBridge,
    calls,
    push: (event, value) => emitter.emit(event, value),
    listeners: () => emitter.listenerCount(),
  };
}

/** A scheduler that publishes only when the test says: `flush()` runs what was asked. */
export function manualScheduler(): { schedule: (f: () => void) => void; flush(): number } {
  let queued: (() => void)[] = [];
  return {
    schedule: (f) => void queued.push(f),
    flush() {
      const run = queued;
      queued = [];
      for (const f of run) f();
      return run.length;
    },
  };
}

/** Storage in memory, in place of the page's localStorage. */
export function memoryStorage(): {
  getItem(k: string): string | null;
  setItem(k: string, v: string): void;
} {
  const map = new Map<string, string>();
  return { getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v) };
}
