import { useEffect, useState } from 'react';
import type { AppInfo, ParleyBridge } from '../../shared/ipc';

declare global {
  interface Window {
    parley?: ParleyBridge;
  }
}

/** The app shell. Chat, presence and calls arrive with the desktop core and the chat UI. */
export function App() {
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [problem, setProblem] = useState<string | null>(
    window.parley ? null : 'This window has no connection to the Parley desktop app.',
  );
  useEffect(() => {
    window.parley?.appInfo({}).then(
      (outcome) => (outcome.ok ? setInfo(outcome.result) : setProblem(outcome.error.message)),
      (err: Error) => setProblem(err.message),
    );
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
