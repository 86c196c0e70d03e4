// The account: a new password (every other sign-in ends), and what the server lets it keep.
import { useState, type FormEvent } from 'react';
import { useChatStore } from '../../state/use-store';
import { StorageSettings } from './StorageSettings';

export function AccountSettings() {
  return (
    <>
      <PasswordSettings />
      <StorageSettings />
    </>
  );
}

/** A new password for the account shown: every other sign-in of it ends. */
function PasswordSettings() {
  const store = useChatStore();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    if (next.length < 8)
      return setOutcome({ ok: false, text: 'A password has at least 8 characters.' });
    if (next !== again) return setOutcome({ ok: false, text: 'The two new passwords differ.' });
    setBusy(true);
    try {
      await store.accounts.changePassword(current, next);
      setCurrent('');
      setNext('');
      setAgain('');
      setOutcome({
        ok: true,
        text: 'Password changed. Every other computer signed in to this account is signed out.',
      });
    } catch (err) {
      setOutcome({ ok: false, text: (err as Error).message });
    } finally {
      setBusy(false);
    }
  }
  return (
    <form onSubmit={(e) => void submit(e)} aria-label="Change password">
      <fieldset className="stacked">
        <legend>Password</legend>
        <PasswordField
          label="Current password"
          autoComplete="current-password"
          value={current}
          set={setCurrent}
        />
        <PasswordField
          label="New password"
          autoComplete="new-password"
          value={next}
          set={setNext}
        />
        <PasswordField
          label="New password again"
          autoComplete="new-password"
          value={again}
          set={setAgain}
        />
        {outcome && (
          <p role={outcome.ok ? 'status' : 'alert'} className={outcome.ok ? 'ok' : 'form-error'}>
            {outcome.text}
          </p>
        )}
        <button type="submit" className="secondary" disabled={busy}>
          Change password
        </button>
      </fieldset>
    </form>
  );
}

function PasswordField(props: {
  label: string;
  autoComplete: 'current-password' | 'new-password';
  value: string;
  set: (value: string) => void;
}) {
  return (
    <label>
      {props.label}
      <input
        type="password"
        autoComplete={props.autoComplete}
        value={props.value}
        onChange={(e) => props.set(e.target.value)}
        required
      />
    </label>
  );
}
