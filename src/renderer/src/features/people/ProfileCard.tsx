// A person's card, opened from their name or avatar: picture, name, username, status and status
// text, with "Message" and "Call" (Slack, Element and Signal all open one on click). What it
// shows is what this page already knows from member lists and presence: nothing is fetched.
import type { GroupUser } from '../../../../shared/protocol';
import { useChatStore, useStore } from '../../state/use-store';
import { Avatar } from '../../ui/Avatar';
import { Dialog } from '../../ui/Dialog';
import { Icon } from '../../ui/Icon';
import { useCall, useCallStore } from '../call/use-call';
import { PresenceDot, STATUS_WORDS, usePresenceOf } from '../presence/PresenceDot';
import type { PersonRef } from './profile-card-context';

/** The person as any loaded member list lists them (username, picture, status text). */
function listed(members: ReadonlyMap<string, readonly GroupUser[]>, userId: string) {
  for (const rows of members.values()) {
    const row = rows.find((r) => r.user_id === userId);
    if (row) return row;
  }
  return undefined;
}

export function ProfileCard({ person, onClose }: { person: PersonRef; onClose: () => void }) {
  const store = useChatStore();
  const calls = useCallStore();
  const phase = useCall().state.phase;
  const row = useStore((s) => listed(s.members, person.userId));
  const text = useStore((s) => s.presence.get(person.userId)?.text ?? row?.text);
  const status = usePresenceOf(person.userId, row?.status);
  const me = store.me?.user_id === person.userId;
  const inCall = phase !== 'idle' && phase !== 'ended';
  const name = row?.displayName ?? person.displayName;
  return (
    <Dialog title={name} onClose={onClose} className="profile-card">
      <div className="profile-head">
        <Avatar userId={person.userId} name={name} size={72} />
        <div>
          {row?.username && <p className="hint">@{row.username}</p>}
          <p className="profile-status">
            <PresenceDot status={status} /> {STATUS_WORDS[status]}
            {me && <span className="hint"> (you)</span>}
          </p>
          {text && <p className="status-text">{text}</p>}
        </div>
      </div>
      {!me && (
        <div className="dialog-actions">
          <button
            type="button"
            className="primary"
            data-autofocus
            onClick={() => {
              onClose();
              void store.conversations.openDirect(person.userId, name);
            }}
          >
            <Icon name="message" /> Message
          </button>
          <button
            type="button"
            className="secondary"
            disabled={inCall}
            title={inCall ? 'You are in a call' : undefined}
            onClick={() => {
              onClose();
              void store.conversations
                .openDirect(person.userId, name)
                .then(() => calls.start(person.userId, name, false));
            }}
          >
            <Icon name="phone" /> Call
          </button>
        </div>
      )}
    </Dialog>
  );
}
