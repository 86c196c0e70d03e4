// First run (and "add account"): the server, then sign in or sign up. Every failure the core can
// name (wrong password, unreachable server, taken username, ...) is shown in its own words.
import { useState, type FormEvent } from 'react';
import {
  MIN_PASSWORD_CHARS,
  PASSWORD_RULE,
  USERNAME,
  USERNAME_RULE,
} from '../../../../shared/names';
import { describe } from '../../state/chat-store';
import { useChatStore, useStore } from '../../state/use-store';
import { Field } from '../../ui/Field';

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
  // Sign-up: each rule is shown under its field from the start, and a field that breaks it is
  // marked once it has been left (or at submit), before the server is asked (UX-3 gap 10).
  const [checked, setChecked] = useState<{ username?: boolean; password?: boolean }>({});
  const signingUp = mode === 'signUp';
  const usernameBad = signingUp && checked.username && !USERNAME.test(username.trim());
  const passwordBad = signingUp && checked.password && password.length < MIN_PASSWORD_CHARS;

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (signingUp) {
      setChecked({ username: true, password: true });
      const bad = !USERNAME.test(username.trim())
        ? 'username'
        : password.length < MIN_PASSWORD_CHARS
          ? 'password'
          : null;
      if (bad) {
        e.currentTarget.querySelector<HTMLInputElement>(`input[name=${bad}]`)?.focus();
        return;
      }
    }
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
        <Field label="Server">
          {(tie) => (
            <input
              name="server"
              type="url"
              required
              value={server ?? defaultServer}
              onChange={(e) => setServer(e.target.value)}
              autoComplete="url"
              {...tie}
            />
          )}
        </Field>
        <Field
          label="Username"
          bad={usernameBad}
          rule={
            signingUp && (
              <>
                {usernameBad ? 'This username does not fit: use ' : 'Use '}
                {USERNAME_RULE}.
              </>
            )
          }
        >
          {(tie) => (
            <input
              name="username"
              required
              value={username}
              onChange={(e) => setUsername(e.target.value)}
              onBlur={() => setChecked((c) => ({ ...c, username: username !== '' }))}
              autoComplete="username"
              autoFocus
              {...tie}
            />
          )}
        </Field>
        {mode === 'signUp' && (
          <Field label="Display name" optional>
            {(tie) => (
              <input
                name="displayName"
                value={displayName}
                onChange={(e) => setDisplayName(e.target.value)}
                autoComplete="name"
                {...tie}
              />
            )}
          </Field>
        )}
        <Field
          label="Password"
          bad={passwordBad}
          rule={
            signingUp && (
              <>
                {passwordBad ? 'Too short: a password needs ' : 'A password needs '}
                {PASSWORD_RULE}.
              </>
            )
          }
        >
          {(tie) => (
            <input
              name="password"
              type="password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              onBlur={() => setChecked((c) => ({ ...c, password: password !== '' }))}
              autoComplete={mode === 'signIn' ? 'current-password' : 'new-password'}
              {...tie}
            />
          )}
        </Field>
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
              setChecked({});
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
