import { useEffect, useState } from 'react';
import type { AppInfo } from '../../shared/ipc';
import { getBridge } from './bridge';
import { showBrowserNotifications } from './features/notifications/browser-notifications';

/** The app shell. Chat, presence and calls arrive with the chat UI (issue 4). */
export function App() {
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    const bridge = getBridge();
    if ('code' in bridge) {
      setProblem(bridge.message);
      return;
    }
    bridge.appInfo({}).then(
      (outcome) => (outcome.ok ? setInfo(outcome.result) : setProblem(outcome.error.message)),
      (err: Error) => setProblem(err.message),
    );
    // The chat UI (issue 4) opens the conversation; until then a click just focuses the page.
    return showBrowserNotifications(bridge, () => undefined);
  }, []);
  return (
    <main className="shell">
      <h1>Parley</h1>
      {problem ? (
        <p role="alert">{problem}</p>
      ) : (
        <p>{info ? `Version ${info.version} on ${info.platform}` : 'Starting…'}</p>
      )}
    </main>
  );
}
