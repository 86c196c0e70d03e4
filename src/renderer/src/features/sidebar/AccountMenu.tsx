// The account's own menu, on its name and picture at the top of the sidebar (issue 22; Slack and
// Discord keep these there): status and status text, Settings, Sign out. A disclosure popover,
// not an ARIA menu, because it holds form fields. Escape or a click elsewhere closes it.
import { useRef, useState } from 'react';
import { useChatStore, useStore } from '../../state/use-store';
import { Avatar } from '../../ui/Avatar';
import { useOutsidePointer } from '../../ui/use-outside-pointer';
import { PresenceDot, type DotStatus } from '../presence/PresenceDot';
import { StatusPicker } from './StatusPicker';

export function AccountMenu({ onSettings }: { onSettings: () => void }) {
  const store = useChatStore();
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  // The name the server last stated, kept while offline (it never flips to the username).
  const name = useStore((s) =>
    s.status?.state === 'online' ? s.status.user.displayName : (s.myName ?? store.me?.username),
  );
  const server = useStore((s) => s.accounts.find((a) => a.id === s.accountId)?.serverUrl);
  const dot = useStore((s): DotStatus => {
    if (s.status?.state !== 'online') return 'unknown';
    return s.myStatus === 'invisible' ? 'offline' : s.myStatus;
  });
  useOutsidePointer(root, open, setOpen);
  const close = () => {
    setOpen(false);
    button.current?.focus();
  };
  return (
    <div
      className="account-menu"
      ref={root}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && open) {
          e.stopPropagation();
          close();
        }
      }}
    >
      <button
        ref={button}
        type="button"
        className="account-button"
        aria-expanded={open}
        aria-controls="account-panel"
        onClick={() => setOpen((o) => !o)}
      >
        <span className="avatar-with-dot" aria-hidden>
          <Avatar userId={store.me?.user_id ?? ''} name={name ?? '?'} size={32} />
          <PresenceDot status={dot} />
        </span>
        <span className="account-names">
          <strong>{name}</strong>
          <span className="hint">{server}</span>
        </span>
      </button>
      {open && (
        <div id="account-panel" className="account-panel" role="group" aria-label="Your account">
          <StatusPicker />
          <div className="account-actions">
            <button
              type="button"
              className="secondary"
              onClick={() => {
                setOpen(false);
                onSettings();
              }}
            >
              Settings
            </button>
            <button
              type="button"
              className="secondary"
              onClick={() => void store.attempt(() => store.accounts.signOut())}
            >
              Sign out
            </button>
          </div>
        </div>
      )}
    </div>
  );
}
