// The open group's members with their status and status text; a direct message is one click.
import type { GroupUser } from '../../../../shared/protocol';
import { useChatStore, useStore } from '../../state/use-store';
import { Avatar } from '../../ui/Avatar';
import { IconButton } from '../../ui/ToolButton';
import type { VisibleStatus } from '../../../../shared/protocol';
import { useOpenProfile } from '../people/profile-card-context';
import { PresenceDot, usePresenceOf } from './PresenceDot';

/** A member's dot: what the list said, unless the page knows better or cannot know now. */
function MemberDot({ userId, listed }: { userId: string; listed: VisibleStatus }) {
  return <PresenceDot status={usePresenceOf(userId, listed)} />;
}

const NONE: readonly GroupUser[] = [];
const ORDER = { online: 0, busy: 1, away: 2, offline: 3 } as const;

export function MemberList({
  group,
  onClose,
}: {
  group: string;
  /** Narrow windows, where the list is a panel over the chat: closes it. */
  onClose?: () => void;
}) {
  const store = useChatStore();
  const openProfile = useOpenProfile();
  const rows = useStore((s) => s.members.get(group) ?? NONE);
  const myId = store.me?.user_id;
  // The server lists one row per connection: one per person here, the liveliest status first.
  const people = new Map<string, GroupUser>();
  for (const r of rows) {
    const known = people.get(r.user_id);
    if (!known || ORDER[r.status] < ORDER[known.status]) people.set(r.user_id, r);
  }
  const list = [...people.values()].sort(
    (a, b) => ORDER[a.status] - ORDER[b.status] || a.displayName.localeCompare(b.displayName),
  );
  return (
    <aside className="members" aria-label={`Members of ${group}`}>
      <h2>
        Members <span className="hint">({list.length})</span>
        {onClose && (
          <button
            type="button"
            className="secondary small narrow-only-panel"
            aria-label="Hide members"
            onClick={onClose}
          >
            ×
          </button>
        )}
      </h2>
      <ul>
        {list.map((u) => (
          <li key={u.user_id} className="member">
            <span className="avatar-with-dot">
              <Avatar userId={u.user_id} name={u.displayName} size={28} />
              <MemberDot userId={u.user_id} listed={u.status} />
            </span>
            <button
              type="button"
              className="person member-name"
              onClick={() => openProfile({ userId: u.user_id, displayName: u.displayName })}
            >
              <span className="member-line" title={u.displayName}>
                {u.displayName}
                {u.user_id === myId && <span className="hint"> (you)</span>}
              </span>
              {u.text && <span className="status-text">{u.text}</span>}
            </button>
            {u.user_id !== myId && (
              <IconButton
                label={`Message ${u.displayName}`}
                icon="message"
                className="member-message"
                onClick={() => void store.conversations.openDirect(u.user_id, u.displayName)}
              />
            )}
          </li>
        ))}
      </ul>
    </aside>
  );
}
