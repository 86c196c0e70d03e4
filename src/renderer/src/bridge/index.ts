// The only module that touches window.parley (Electron's preload) or, in a browser, the web
// host's WebSocket. Both give the same ParleyBridge.
import {
  bridgeName,
  EVENT_CHANNELS,
  INVOKE_CHANNELS,
  type IpcEventChannel,
} from '../../../shared/ipc-channels';
import type { InvokeOutcome, ParleyBridge } from '../../../shared/ipc';

declare global {
  interface Window {
    parley?: ParleyBridge;
  }
}

export type BridgeProblem = { code: 'NO_BRIDGE' | 'DISCONNECTED'; message: string };

/** The bridge of this window, or null with the reason when there is none. */
export function getBridge(): ParleyBridge | BridgeProblem {
  if (window.parley) return window.parley;
  const secret = webHostSecret();
  if (!secret) {
    return {
      code: 'NO_BRIDGE',
      message:
        'This window has no connection to the Parley desktop app. In a browser, open the link ' +
        "`npm run web` printed: it carries this tab's key.",
    };
  }
  return webHostBridge(`ws://${location.host}/ipc`, secret);
}

const SECRET_KEY = 'parley-web-host';

/**
 * The web host's launch secret: from the URL's fragment on first load (`#k=...`, never sent to
 * any server), then from this tab's sessionStorage, so a reload keeps working. The fragment is
 * removed from the address bar at once.
 */
function webHostSecret(): string | undefined {
  const fromUrl = /(?:^#|&)k=([\w-]+)/.exec(location.hash)?.[1];
  if (fromUrl) {
    sessionStorage.setItem(SECRET_KEY, fromUrl);
    history.replaceState(null, '', location.pathname + location.search);
    return fromUrl;
  }
  return sessionStorage.getItem(SECRET_KEY) ?? undefined;
}

/** The ParleyBridge over the web host's WebSocket (src/main/web-host.ts). */
function webHostBridge(url: string, secret: string): ParleyBridge {
  const ws = new WebSocket(url);
  const ready = new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => ws.send(JSON.stringify({ type: 'hello', secret })));
    ws.addEventListener('close', () => reject(new Error('the app host closed the connection')));
    ws.addEventListener('message', function first(e) {
      if (JSON.parse(String(e.data)).type === 'ready') {
        ws.removeEventListener('message', first);
        resolve();
      }
    });
  });
  let nextId = 1;
  const waiting = new Map<string, (o: InvokeOutcome<unknown>) => void>();
  const listeners = new Map<string, Set<(v: unknown) => void>>();
  ws.addEventListener('message', (e) => {
    const frame = JSON.parse(String(e.data)) as {
      type: string;
      id?: string;
      outcome?: InvokeOutcome<unknown>;
      channel?: string;
      value?: unknown;
    };
    if (frame.type === 'result' && frame.id) {
      waiting.get(frame.id)?.(frame.outcome!);
      waiting.delete(frame.id);
    } else if (frame.type === 'event' && frame.channel) {
      for (const l of listeners.get(frame.channel) ?? []) l(frame.value);
    }
  });
  ws.addEventListener('close', () => {
    for (const done of waiting.values()) {
      done({
        ok: false,
        error: { code: 'DISCONNECTED', message: 'The app host went away; reload the page.' },
      });
    }
    waiting.clear();
  });

  const bridge: Record<string, unknown> = {};
  for (const channel of INVOKE_CHANNELS) {
    bridge[bridgeName(channel)] = async (args: unknown) => {
      await ready;
      const id = String(nextId++);
      return new Promise<InvokeOutcome<unknown>>((resolve) => {
        waiting.set(id, resolve);
        ws.send(JSON.stringify({ type: 'invoke', id, channel, args: args ?? {} }));
      });
    };
  }
  const known = new Set<string>(EVENT_CHANNELS);
  bridge.on = (channel: IpcEventChannel, listener: (v: unknown) => void) => {
    if (!known.has(channel)) throw new Error(`unknown event channel ${channel}`);
    let set = listeners.get(channel);
    if (!set) listeners.set(channel, (set = new Set()));
    set.add(listener);
    return () => void set.delete(listener);
  };
  return bridge as ParleyBridge;
}
