// First run (and "add account"): the server, then sign in or sign up. Every failure the core can
// name (wrong password, unreachable server, taken username, ...) is shown in its own words.
import { useState, type FormEvent } from 'react';
import { describe } from '../../state/chat-store';
import { useChatStore, useStore } from '../../state/use-store';

export function SignIn() {
  const store = useChatStore();
  const defaultServer = useStore((s) => s.info?.defaultServer ?? '');
  const hasAccounts = useStore((s) => s.accounts.length > 0);
  const [mode, setMode] = useState<'signIn' | 'signUp'>('signIn');
  const [server, setServer] = useState<string | null>(null);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await store.accounts.signIn(mode, {
        server: server ?? defaultServer,
        username: username.trim(),
        password,
        ...(mode === 'signUp' && displayName.trim() ? { displayName: displayName.trim() } : {}),
      });
    } catch (err) {
      setError(describe(err).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="sign-in">
      <form onSubmit={(e) => void submit(e)} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">
          {mode === 'signIn' ? 'Sign in to Parley' : 'Create your Parley account'}
        </h1>
        <label>
          Server
          <input
            name="server"
            type="url"
            required
            value={server ?? defaultServer}
            onChange={(e) => setServer(e.target.value)}
            autoComplete="url"
          />
        </label>
        <label>
          Username
          <input
            name="username"
            required
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            autoComplete="username"
            autoFocus
          />
        </label>
        {mode === 'signUp' && (
          <label>
            Display name <span className="hint">(optional)</span>
            <input
              name="displayName"
              value={displayName}
              onChange={(e) => setDisplayName(e.target.value)}
              autoComplete="name"
            />
          </label>
        )}
        <label>
          Password
          <input
            name="password"
            type="password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            autoComplete={mode === 'signIn' ? 'current-password' : 'new-password'}
          />
        </label>
        {error && (
          <p role="alert" className="form-error">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Please wait…' : mode === 'signIn' ? 'Sign in' : 'Create account'}
        </button>
        <p className="switch-mode">
          {mode === 'signIn' ? 'New here?' : 'Have an account?'}{' '}
          <button
            type="button"
            className="link-button"
            onClick={() => {
              setMode(mode === 'signIn' ? 'signUp' : 'signIn');
              setError(null);
            }}
          >
            {mode === 'signIn' ? 'Create an account' : 'Sign in instead'}
          </button>
        </p>
        {hasAccounts && (
          <button
            type="button"
            className="link-button"
            onClick={() => store.accounts.useAccount(store.getState().accounts[0]!.id)}
          >
            Back to my account
          </button>
        )}
      </form>
    </main>
  );
}
