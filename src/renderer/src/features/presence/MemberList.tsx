// The open group's members with their role, status and status text; resting on one shows a
// card about them, clicking opens their profile, and a direct message is one click.
import type { GroupUser } from '../../../../shared/protocol';
import { Badge } from '../../ui/Badge';
import { HoverCard } from '../../ui/HoverCard';
import { PeopleSkeleton } from '../../ui/Skeleton';
import { useChatStore, useStore } from '../../state/use-store';
import { Avatar } from '../../ui/Avatar';
import { IconButton } from '../../ui/ToolButton';
import type { VisibleStatus } from '../../../../shared/protocol';
import { useOpenProfile } from '../people/profile-card-context';
import { PresenceDot, STATUS_WORDS, usePresenceOf } from './PresenceDot';

/** A member's dot: what the list said, unless the page knows better or cannot know now. */
function MemberDot({ userId, listed }: { userId: string; listed: VisibleStatus }) {
  return <PresenceDot status={usePresenceOf(userId, listed)} />;
}

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
  const rows = useStore((s) => s.members.get(group));
  const myId = store.me?.user_id;
  // The server lists one row per connection: one per person here, the liveliest status first.
  const people = new Map<string, GroupUser>();
  for (const r of rows ?? []) {
    const known = people.get(r.user_id);
    if (!known || ORDER[r.status] < ORDER[known.status]) people.set(r.user_id, r);
  }
  const list = [...people.values()].sort(
    (a, b) => ORDER[a.status] - ORDER[b.status] || a.displayName.localeCompare(b.displayName),
  );
  return (
    <aside className="members" aria-label={`Members of ${group}`}>
      <h2>
        <span>
          Members <span className="hint">({list.length})</span>
        </span>
        {onClose && (
          <IconButton
            label="Hide members"
            icon="close"
            className="narrow-only-panel"
            onClick={onClose}
          />
        )}
      </h2>
      {!rows && <PeopleSkeleton label="Loading members…" />}
      <ul>
        {list.map((u) => (
          <li key={u.user_id} className="member">
            <span className="avatar-with-dot">
              <Avatar userId={u.user_id} name={u.displayName} size={28} />
              <MemberDot userId={u.user_id} listed={u.status} />
            </span>
            <HoverCard card={<MemberCard member={u} me={u.user_id === myId} />} beside=".members">
              {(describedBy) => (
                <button
                  type="button"
                  className="person member-name"
                  aria-describedby={describedBy}
                  onClick={() => openProfile({ userId: u.user_id, displayName: u.displayName })}
                >
                  <span className="member-line" title={u.displayName}>
                    <span className="member-display">{u.displayName}</span>
                    {u.user_id === myId && <span className="hint"> (you)</span>}
                    {u.role && <Badge>{ROLE[u.role]}</Badge>}
                  </span>
                  {u.text && <span className="status-text">{u.text}</span>}
                </button>
              )}
            </HoverCard>
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

const ROLE = { admin: 'Admin', creator: 'Creator' } as const;
const ROLE_SAYS = {
  admin: 'Runs this server: may remove any message.',
  creator: 'Started this group.',
} as const;

/** What resting on a member shows: who they are, how to reach them now, and their role. */
function MemberCard({ member, me }: { member: GroupUser; me: boolean }) {
  const status = usePresenceOf(member.user_id, member.status);
  return (
    <div className="member-card">
      <div className="member-card-head">
        <Avatar userId={member.user_id} name={member.displayName} size={48} />
        <div className="member-card-names">
          <strong>{member.displayName}</strong>
          {member.username && <span className="hint">@{member.username}</span>}
        </div>
      </div>
      <p className="member-card-status">
        <PresenceDot status={status} /> {STATUS_WORDS[status]}
        {me && ' (you)'}
      </p>
      {member.text && <p className="status-text">{member.text}</p>}
      {member.role && (
        <p className="member-card-role">
          <Badge>{ROLE[member.role]}</Badge> {ROLE_SAYS[member.role]}
        </p>
      )}
      <p className="hint">Click for their profile.</p>
    </div>
  );
}
