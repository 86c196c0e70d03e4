// The open conversation: its header (presence, mute, invite, leave), the messages, who is typing,
// and the composer; the member list beside it for groups.
import { useState } from 'react';
import { MAX_TOPIC_CHARS } from '../../../../shared/protocol';
import { describe } from '../../state/chat-store';
import { useChatStore, useStore } from '../../state/use-store';
import { ConfirmDialog } from '../../ui/ConfirmDialog';
import { Icon } from '../../ui/Icon';
import { Menu } from '../../ui/Menu';
import { IconButton, ToolButton } from '../../ui/ToolButton';
import { AddPeopleDialog } from '../groups/AddPeopleDialog';
import { CallButtons, GroupCallButtons } from '../call/CallButtons';
import { MemberList } from '../presence/MemberList';
import { PresenceDot, usePresenceOf } from '../presence/PresenceDot';
import { Composer } from './Composer';
import { loadEmoji, mayHoldShortcode, replaceShortcodes } from './emoji-search';
import { MessageList } from './MessageList';
import { MessageText } from './MessageText';
import { SearchDialog } from './SearchDialog';
import { ThreadPanel } from './ThreadPanel';
import { TypingIndicator } from './TypingIndicator';
import { useOpenLink } from './use-open-link';

export function ChatView({
  conversation,
  onShowSidebar,
}: {
  conversation: string;
  /** Narrow windows: opens the conversation list (a drawer there). */
  onShowSidebar: () => void;
}) {
  const store = useChatStore();
  const item = useStore((s) => s.conversations.get(conversation));
  const presence = useStore((s) => (item?.peerId ? s.presence.get(item.peerId) : undefined));
  const peerDot = usePresenceOf(item?.peerId);
  const muted = useStore((s) => s.settings?.muted.includes(conversation) ?? false);
  const accountId = useStore((s) => s.accountId);
  const online = useStore((s) => s.status?.state === 'online');
  const [inviting, setInviting] = useState(false);
  const [leaving, setLeaving] = useState(false);
  const [searching, setSearching] = useState(false);
  // Files dragged over the conversation: dropped, they go with the next message.
  const [dropping, setDropping] = useState(false);
  const thread = useStore((s) =>
    s.openThread?.conversation === conversation ? s.openThread.root : undefined,
  );
  // Narrow windows: the member list is a panel over the chat, shown on demand.
  const [membersShown, setMembersShown] = useState(false);
  if (!item) return null;
  const group = item.kind === 'group' ? item.name : null;
  const title = group ? `#${group}` : item.name;
  return (
    <div
      className={`chat-and-members ${membersShown ? 'members-shown' : ''} ${thread ? 'thread-open' : ''}`}
    >
      <section
        className={`chat ${dropping ? 'dropping' : ''}`}
        aria-label={`Conversation ${title}`}
        onDragOver={(e) => {
          if (!e.dataTransfer.types.includes('Files')) return;
          e.preventDefault();
          setDropping(true);
        }}
        onDragLeave={(e) => {
          if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDropping(false);
        }}
        onDrop={(e) => {
          setDropping(false);
          const files = [...e.dataTransfer.files];
          if (files.length === 0) return;
          e.preventDefault();
          store.attachments.attach(conversation, files);
        }}
      >
        <header className="chat-header">
          <IconButton
            label="Show conversations"
            icon="menu"
            className="narrow-only"
            onClick={onShowSidebar}
          />
          <h1>
            {!group && <PresenceDot status={peerDot} />}
            {item.private && (
              <span className="lock" role="img" aria-label="Private group" title="Private group">
                <Icon name="lock" />
              </span>
            )}{' '}
            <span className="title-text">{title}</span>
            {!group && presence?.text && <span className="status-text"> {presence.text}</span>}
          </h1>
          {/* Narrow windows hide the sidebar's banner in the drawer: the header says it too. */}
          {!online && (
            <span className="offline-pill narrow-only" role="status">
              Offline
            </span>
          )}
          <div className="chat-actions" role="toolbar" aria-label="Conversation actions">
            {!group && item.peerId && <CallButtons userId={item.peerId} name={item.name} />}
            {group && <GroupCallButtons group={group} />}
            <ToolButton label="Search" icon="search" onClick={() => setSearching(true)} />
            {group && (
              <ToolButton
                label="Members"
                icon="users"
                className="members-toggle"
                pressed={membersShown}
                onClick={() => setMembersShown((shown) => !shown)}
              />
            )}
            <Menu
              label="More actions"
              icon={<Icon name="more" />}
              actions={[
                {
                  label: muted ? 'Unmute' : 'Mute',
                  run: () => void store.attempt(() => store.accounts.toggleMute(conversation)),
                },
                ...(group
                  ? [
                      { label: 'Add people…', run: () => setInviting(true) },
                      { label: `Leave #${group}…`, run: () => setLeaving(true), danger: true },
                    ]
                  : []),
              ]}
            />
          </div>
          {group && <TopicLine group={group} />}
        </header>
        <MessageList key={`list|${accountId}|${conversation}`} conversation={conversation} />
        <TypingIndicator conversation={conversation} />
        <Composer
          key={`composer|${accountId}|${conversation}`}
          conversation={conversation}
          label={title}
        />
      </section>
      {thread ? (
        <ThreadPanel key={thread} conversation={conversation} root={thread} />
      ) : (
        group && (
          <MemberList
            group={group}
            {...(membersShown ? { onClose: () => setMembersShown(false) } : {})}
          />
        )
      )}
      {searching && (
        <SearchDialog
          conversation={conversation}
          title={title}
          onClose={() => setSearching(false)}
        />
      )}
      {group && inviting && <AddPeopleDialog group={group} onClose={() => setInviting(false)} />}
      {group && leaving && (
        <ConfirmDialog
          title={`Leave #${group}?`}
          body={
            item.private
              ? 'It is private: to come back, you will need a member to add you or send an invite link.'
              : 'You can join it again from Browse groups.'
          }
          action="Leave"
          onConfirm={() => void store.attempt(() => store.conversations.leaveGroup(group))}
          onClose={() => setLeaving(false)}
        />
      )}
    </div>
  );
}

/** The group's topic under its name; any member can change it. */
function TopicLine({ group }: { group: string }) {
  const store = useChatStore();
  const topic = useStore((s) => s.topics.get(group) ?? '');
  // The member list has a row per connection: count people.
  const members = useStore((s) => new Set(s.members.get(group)?.map((m) => m.user_id)).size);
  const openLink = useOpenLink();
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  if (editing) {
    return (
      <form
        className="topic-edit"
        onSubmit={(e) => {
          e.preventDefault();
          // :rocket: in a topic becomes 🚀, as in messages.
          const withEmoji = mayHoldShortcode(draft)
            ? loadEmoji().then((list) => replaceShortcodes(list, draft))
            : Promise.resolve(draft);
          withEmoji
            .then((topic) => store.members.setTopic(group, topic))
            .then(() => setEditing(false))
            .catch((err: unknown) => setProblem(describe(err).message));
        }}
      >
        <input
          aria-label={`Topic of #${group}`}
          value={draft}
          maxLength={MAX_TOPIC_CHARS}
          autoFocus
          placeholder="What is this group about?"
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              e.preventDefault();
              setEditing(false);
            }
          }}
        />
        <button type="submit" className="primary small">
          Save
        </button>
        <button type="button" className="secondary small" onClick={() => setEditing(false)}>
          Cancel
        </button>
        {problem && (
          <span role="alert" className="form-error">
            {problem}
          </span>
        )}
      </form>
    );
  }
  return (
    <div className="topic">
      {members > 0 && (
        <span className="member-count">
          {members} {members === 1 ? 'member' : 'members'} ·{' '}
        </span>
      )}
      {topic ? (
        <MessageText text={topic} openLink={openLink} />
      ) : (
        <span className="hint">No topic</span>
      )}{' '}
      <button
        type="button"
        className="link-button"
        aria-label={topic ? `Change the topic of #${group}` : `Set a topic for #${group}`}
        onClick={() => {
          setDraft(topic);
          setProblem(null);
          setEditing(true);
        }}
      >
        {topic ? 'Change' : 'Set a topic'}
      </button>
    </div>
  );
}
