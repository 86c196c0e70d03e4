// Groups and direct messages with unread counts and presence dots; the account's menu (its status,
// Settings, Sign out) and the connection state.
import { memo, useState } from 'react';
import type { ConversationItem } from '../../state/chat-store';
import { useChatStore, useStore } from '../../state/use-store';
import { Badge } from '../../ui/Badge';
import { Icon } from '../../ui/Icon';
import { IconButton } from '../../ui/ToolButton';
import { PresenceDot, usePresenceOf } from '../presence/PresenceDot';
import { ConnectionBanner } from './ConnectionBanner';
import { AccountMenu } from './AccountMenu';

/** Groups, then direct messages, each by name: the order Alt+Up/Down follows too. */
export function sidebarOrder(
  conversations: ReadonlyMap<string, ConversationItem>,
): ConversationItem[] {
  const all = [...conversations.values()];
  const byName = (a: ConversationItem, b: ConversationItem) => a.name.localeCompare(b.name);
  return [
    ...all.filter((c) => c.kind === 'group').sort(byName),
    ...all.filter((c) => c.kind === 'dm').sort(byName),
  ];
}

export function Sidebar({
  onBrowseGroups,
  onNewMessage,
  onSettings,
  onClose,
}: {
  onBrowseGroups: () => void;
  /** A dm or a small private group with chosen people. */
  onNewMessage: () => void;
  onSettings: () => void;
  /** Narrow windows, where the sidebar is a drawer over the conversation: closes it. */
  onClose?: () => void;
}) {
  const conversations = useStore((s) => s.conversations);
  const active = useStore((s) => s.active);
  const ordered = sidebarOrder(conversations);
  const groups = ordered.filter((c) => c.kind === 'group');
  const dms = ordered.filter((c) => c.kind === 'dm');
  const [sections, setSections] = useState(loadSections);
  const toggle = (section: keyof Sections) =>
    setSections((now) => {
      const next = { ...now, [section]: !now[section] };
      saveSections(next);
      return next;
    });
  // A collapsed section keeps what still matters in sight: the open conversation and unread ones.
  const shown = (list: ConversationItem[], open: boolean) =>
    open ? list : list.filter((c) => c.key === active || c.unread > 0);
  return (
    <aside className="sidebar" aria-label="Conversations">
      <header className="account">
        <AccountMenu onSettings={onSettings} />
        {onClose && (
          <button
            type="button"
            className="secondary narrow-only"
            aria-label="Hide conversations"
            onClick={onClose}
          >
            ×
          </button>
        )}
      </header>
      <ConnectionBanner />
      <nav aria-label="Conversation list" className="conversation-list">
        <SectionHeading
          id="groups-heading"
          label="Groups"
          open={sections.groups}
          onToggle={() => toggle('groups')}
        />
        <ul aria-labelledby="groups-heading">
          {shown(groups, sections.groups).map((c) => (
            <Row key={c.key} c={c} active={c.key === active} />
          ))}
          {groups.length === 0 && <li className="hint empty">No groups yet.</li>}
        </ul>
        <button type="button" className="sidebar-action" onClick={onBrowseGroups}>
          <Icon name="search" /> Browse groups
        </button>
        <div className="section-heading">
          <SectionHeading
            id="dms-heading"
            label="Direct messages"
            open={sections.dms}
            onToggle={() => toggle('dms')}
          />
          <IconButton label="New message" icon="pen" onClick={onNewMessage} />
        </div>
        <ul aria-labelledby="dms-heading">
          {shown(dms, sections.dms).map((c) => (
            <Row key={c.key} c={c} active={c.key === active} />
          ))}
          {dms.length === 0 && (
            <li className="hint empty">
              None yet.{' '}
              <button type="button" className="link-button" onClick={onNewMessage}>
                Message someone
              </button>
            </li>
          )}
        </ul>
      </nav>
    </aside>
  );
}

const Row = memo(function Row({ c, active }: { c: ConversationItem; active: boolean }) {
  const store = useChatStore();
  const presence = usePresenceOf(c.peerId);
  const muted = useStore((s) => s.settings?.muted.includes(c.key) ?? false);
  const mentionsLabel =
    c.mentions > 0 ? `, ${c.mentions} ${c.mentions === 1 ? 'mention' : 'mentions'}` : '';
  const label = `${c.private ? 'Private group ' : ''}${c.kind === 'group' ? '#' : ''}${c.name}${c.unread > 0 ? `, ${c.unread} unread` : ''}${mentionsLabel}${muted ? ', muted' : ''}`;
  return (
    <li>
      <button
        type="button"
        className={`conversation ${active ? 'active' : ''} ${c.unread > 0 ? 'has-unread' : ''}`}
        aria-current={active ? 'page' : undefined}
        onClick={() => void store.conversations.open(c.key)}
      >
        {/* The name read out; what is drawn is hidden from it (an aria-label that does not read
            as the drawn text, "team 3", fails axe's label-content-name-mismatch). */}
        <span className="visually-hidden">{label}</span>
        {c.kind === 'dm' ? (
          <span aria-hidden>
            <PresenceDot status={presence} />
          </span>
        ) : c.private ? (
          <span className="hash" aria-hidden title="Private group">
            <Icon name="lock" size={13} />
          </span>
        ) : (
          <span className="hash" aria-hidden>
            #
          </span>
        )}
        <span className="name" aria-hidden>
          {c.name}
        </span>
        {muted && (
          <span className="muted-mark" aria-hidden>
            <Icon name="bell-off" size={14} />
          </span>
        )}
        {c.mentions > 0 && (
          <span className="mention-badge" aria-hidden title="Mentions of you">
            @{c.mentions > 99 ? '99+' : c.mentions}
          </span>
        )}
        {c.unread > 0 && <Badge tone="accent">{c.unread > 99 ? '99+' : c.unread}</Badge>}
      </button>
    </li>
  );
});

/** Which sidebar sections are open, kept in the page's storage (Slack and Element keep it too). */
interface Sections {
  groups: boolean;
  dms: boolean;
}
const SECTIONS_KEY = 'parley.sidebar.sections';

function loadSections(): Sections {
  try {
    const saved = JSON.parse(localStorage.getItem(SECTIONS_KEY) ?? '{}') as Partial<Sections>;
    return { groups: saved.groups !== false, dms: saved.dms !== false };
  } catch {
    return { groups: true, dms: true };
  }
}

function saveSections(s: Sections): void {
  try {
    localStorage.setItem(SECTIONS_KEY, JSON.stringify(s));
  } catch {
    // Not kept: the sections open again next time.
  }
}

/** A section's heading, which opens and closes it (a disclosure button inside the heading). */
function SectionHeading({
  id,
  label,
  open,
  onToggle,
}: {
  id: string;
  label: string;
  open: boolean;
  onToggle: () => void;
}) {
  return (
    <h2 id={id} className="section-title">
      <button type="button" aria-expanded={open} onClick={onToggle}>
        <Icon name={open ? 'chevron-down' : 'chevron-right'} size={14} />
        {label}
      </button>
    </h2>
  );
}
