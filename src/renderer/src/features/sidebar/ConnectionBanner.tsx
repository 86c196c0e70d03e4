// The connection as it is: nothing when online; otherwise what is happening, a countdown to the
// next attempt, and a way to try now.
import { useSyncExternalStore } from 'react';
import { useChatStore, useStore } from '../../state/use-store';

function everySecond(onTick: () => void): () => void {
  const t = setInterval(onTick, 1000);
  return () => clearInterval(t);
}
const wallClockSecond = () => Math.floor(Date.now() / 1000);

export function ConnectionBanner() {
  const store = useChatStore();
  const status = useStore((s) => s.status);
  // The clock as it is now, read by React each second. (A time kept from the last tick was
  // minutes old when the connection dropped: "142 s", then "4 s": UX-3 gap 4.)
  const now = useSyncExternalStore(everySecond, wallClockSecond) * 1000;
  if (!status || status.state === 'online') return null;
  let text: string;
  let action: { label: string; run: () => void } | null = null;
  switch (status.state) {
    case 'connecting':
      text = status.attempt > 1 ? 'Reconnecting…' : 'Connecting…';
      break;
    case 'waiting': {
      const secs = Math.max(0, Math.ceil((status.retryAt - now) / 1000));
      text = `Offline: ${status.reason}. Trying again in ${secs} s.`;
      action = {
        label: 'Try now',
        run: () => void store.invoke('app:networkChanged', {}).catch(() => undefined),
      };
      break;
    }
    case 'offline':
      text = `Offline: ${status.reason}.`;
      if (status.code === 'AUTH_FAILED' || status.code === 'TOKEN_EXPIRED') {
        text += ' Sign in again to reconnect.';
        action = { label: 'Sign in', run: () => store.accounts.addAccount() };
      }
      break;
  }
  return (
    <div className={`banner banner-${status.state}`} role="status" aria-live="polite">
      <span>{text} Messages you write are kept and sent when the connection is back.</span>
      {action && (
        <button type="button" onClick={action.run}>
          {action.label}
        </button>
      )}
    </div>
  );
}
