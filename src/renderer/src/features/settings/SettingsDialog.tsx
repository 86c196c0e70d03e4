// The profile (name and picture); notification settings: how much notifies, Do Not Disturb,
// muted conversations; start at login; calls; the account's password.
import { StorageSettings } from './StorageSettings';
import { useState, type FormEvent } from 'react';
import type { NotifySettingsView } from '../../../../shared/ipc';
import type { IceServer } from '../../../../shared/protocol';
import { useChatStore, useStore } from '../../state/use-store';
import { describe } from '../../state/chat-store';
import { Avatar } from '../../ui/Avatar';
import { Dialog } from '../../ui/Dialog';
import { squarePicture } from './square-picture';

export function SettingsDialog({ onClose }: { onClose: () => void }) {
  const store = useChatStore();
  const settings = useStore((s) => s.settings);
  const conversations = useStore((s) => s.conversations);
  const platform = useStore((s) => s.info?.platform);
  const set = (patch: Partial<NotifySettingsView>) =>
    void store.attempt(() => store.accounts.updateSettings(patch));
  if (!settings) return null;
  return (
    <Dialog title="Settings" onClose={onClose}>
      <ProfileSettings />
      <fieldset>
        <legend>Appearance</legend>
        {(
          [
            ['system', 'Follow the system'],
            ['light', 'Light'],
            ['dark', 'Dark'],
            ['contrast', 'High contrast'],
          ] as const
        ).map(([theme, label]) => (
          <label key={theme}>
            <input
              type="radio"
              name="theme"
              checked={settings.theme === theme}
              onChange={() => set({ theme })}
            />{' '}
            {label}
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>Notifications</legend>
        <label>
          <input
            type="radio"
            name="level"
            checked={settings.level === 'all'}
            onChange={() => set({ level: 'all' })}
          />{' '}
          Every message
        </label>
        <label>
          <input
            type="radio"
            name="level"
            checked={settings.level === 'direct-and-mentions'}
            onChange={() => set({ level: 'direct-and-mentions' })}
          />{' '}
          Direct messages and mentions only
        </label>
        <label>
          <input
            type="radio"
            name="level"
            checked={settings.level === 'none'}
            onChange={() => set({ level: 'none' })}
          />{' '}
          Nothing
        </label>
      </fieldset>
      <label className="toggle">
        <input
          type="checkbox"
          checked={settings.doNotDisturb}
          onChange={(e) => set({ doNotDisturb: e.target.checked })}
        />{' '}
        Do Not Disturb (no notifications at all until you turn it off)
      </label>
      {platform !== 'web' && (
        <label className="toggle">
          <input
            type="checkbox"
            checked={settings.startAtLogin}
            onChange={(e) => set({ startAtLogin: e.target.checked })}
          />{' '}
          Start Parley when I log in
        </label>
      )}
      <CallSettings
        iceServers={settings.iceServers}
        relayOnly={settings.relayOnly}
        save={(patch) => store.accounts.updateSettings(patch)}
      />
      <PasswordSettings />
      <fieldset>
        <legend>Muted conversations</legend>
        {settings.muted.length === 0 && <p className="hint">None. Mute one from its header.</p>}
        <ul>
          {settings.muted.map((key) => (
            <li key={key}>
              {conversations.get(key)?.name ?? key}{' '}
              <button
                type="button"
                className="secondary small"
                onClick={() => void store.attempt(() => store.accounts.toggleMute(key))}
              >
                Unmute
              </button>
            </li>
          ))}
        </ul>
      </fieldset>
      <StorageSettings />
    </Dialog>
  );
}

/** One server per line: `URL` or `URL username credential`. */
export function parseIceLines(text: string): IceServer[] | string {
  const out: IceServer[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line) continue;
    const [urls, username, credential, ...rest] = line.split(/\s+/);
    if (!/^(stun|stuns|turn|turns):\S+$/.test(urls!) || rest.length > 0) {
      return `Line ${i + 1}: a stun: or turn: address, then a user name and credential for TURN.`;
    }
    if (username !== undefined && credential === undefined) {
      return `Line ${i + 1}: a TURN user name needs its credential too.`;
    }
    out.push({
      urls: urls!,
      ...(username ? { username } : {}),
      ...(credential ? { credential } : {}),
    });
  }
  return out;
}

function CallSettings({
  iceServers,
  relayOnly,
  save,
}: {
  iceServers: IceServer[];
  relayOnly: boolean;
  save: (patch: Partial<NotifySettingsView>) => Promise<void>;
}) {
  const [text, setText] = useState(() =>
    iceServers
      .map((s) =>
        [Array.isArray(s.urls) ? s.urls[0] : s.urls, s.username, s.credential]
          .filter(Boolean)
          .join(' '),
      )
      .join('\n'),
  );
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <fieldset>
      <legend>Calls</legend>
      <label>
        STUN and TURN servers (one per line; leave empty to use the server&apos;s)
        <textarea
          rows={3}
          value={text}
          placeholder="turn:turn.example.org:3478 username credential"
          onChange={(e) => setText(e.target.value)}
          onBlur={() => {
            const parsed = parseIceLines(text);
            if (typeof parsed === 'string') return setProblem(parsed);
            setProblem(null);
            void save({ iceServers: parsed }).catch((err: Error) => setProblem(err.message));
          }}
        />
      </label>
      {problem && (
        <p role="alert" className="form-error">
          {problem}
        </p>
      )}
      <label className="toggle">
        <input
          type="checkbox"
          checked={relayOnly}
          onChange={(e) => void save({ relayOnly: e.target.checked })}
        />{' '}
        Relay calls through TURN only (the other side never learns this computer&apos;s address)
      </label>
    </fieldset>
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

/** The name others see, and a picture: any image, cut to its middle square and made small here. */
function ProfileSettings() {
  const store = useChatStore();
  const me = useStore((s) => (s.status?.state === 'online' ? s.status.user : undefined));
  const hasPicture = useStore((s) => (me ? Boolean(s.avatars.get(me.userId)) : false));
  const [name, setName] = useState(me?.displayName ?? '');
  const [notice, setNotice] = useState<{ ok: boolean; text: string } | null>(null);
  if (!me) {
    return (
      <fieldset>
        <legend>Profile</legend>
        <p className="hint">Connect to the server to change your name or picture.</p>
      </fieldset>
    );
  }
  const run = (what: () => Promise<unknown>, done: string) =>
    void what()
      .then(() => setNotice({ ok: true, text: done }))
      .catch((err: unknown) => setNotice({ ok: false, text: describe(err).message }));
  return (
    <fieldset>
      <legend>Profile</legend>
      <div className="profile-row">
        <Avatar userId={me.userId} name={me.displayName} size={56} />
        <label className="file-label secondary">
          {hasPicture ? 'Change picture…' : 'Add a picture…'}
          <input
            type="file"
            accept="image/png,image/jpeg,image/webp,image/gif"
            className="visually-hidden"
            onChange={(e) => {
              const file = e.target.files?.[0];
              e.target.value = '';
              if (!file) return;
              run(
                async () => store.accounts.setAvatar(await squarePicture(file)),
                'Picture saved.',
              );
            }}
          />
        </label>
        {hasPicture && (
          <button
            type="button"
            className="secondary"
            onClick={() => run(() => store.accounts.setAvatar(null), 'Picture removed.')}
          >
            Remove picture
          </button>
        )}
      </div>
      <form
        className="profile-name"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          run(() => store.accounts.setDisplayName(name), 'Name saved.');
        }}
      >
        <label>
          Display name
          <input value={name} maxLength={64} onChange={(e) => setName(e.target.value)} />
        </label>
        <button
          type="submit"
          className="primary"
          disabled={!name.trim() || name.trim() === me.displayName}
        >
          Save name
        </button>
      </form>
      {notice && (
        <p role={notice.ok ? 'status' : 'alert'} className={notice.ok ? 'hint' : 'form-error'}>
          {notice.text}
        </p>
      )}
    </fieldset>
  );
}
