// One message: author and time when the speaker changes, the quote it answers, the text, its
// state (sending, failed with retry), its reactions and thread replies, and its actions: react,
// reply with a quote, reply in a thread, edit and delete for your own, and more (copy text).
import { memo, useEffect, useState, type KeyboardEvent } from 'react';
import { composerKey, type ChatState } from '../../state/chat-store';
import type { UiMessage } from '../../state/messages';
import { useChatStore, useStore } from '../../state/use-store';
import { useCallStore } from '../call/use-call';
import { GroupCallLine } from '../call/group/GroupCallLine';
import { MessageFiles } from '../files/Attachments';
import { Avatar } from '../../ui/Avatar';
import { ConfirmDialog } from '../../ui/ConfirmDialog';
import { formatDuration } from '../../ui/duration';
import { Icon } from '../../ui/Icon';
import { Menu } from '../../ui/Menu';
import { useToasts } from '../../ui/toasts';
import { useOpenProfile } from '../people/profile-card-context';
import { InlineText, MessageText, type LinkOpener } from './MessageText';
import { ReactionBar, ReactionPicker } from './Reactions';
import { isDmKey } from '../../../../shared/conversation-key';

// One formatter for every row: toLocaleTimeString builds a new one per call, and was the
// costliest function of the page under a flood of messages (bench/ui).
const TIME = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
function time(ts: number): string {
  return TIME.format(ts);
}

/**
 * Replies in a thread the user has not seen: counted among those loaded, or 1 when only the
 * root's summary says there are newer ones. A thread never opened counts for its author only.
 */
export function newReplies(
  s: ChatState,
  conversation: string,
  root: UiMessage,
  me?: string,
): number {
  if (!root.messageId || !root.replies) return 0;
  const read = s.threadRead.get(root.messageId) ?? (root.from.user_id === me ? 0 : undefined);
  if (read === undefined || root.replies.lastSeq <= read) return 0;
  const held = s.threads.get(root.messageId)?.list ?? s.messages.get(conversation)?.list ?? [];
  let n = 0;
  for (const m of held) {
    if (m.thread === root.messageId && m.seq > read && m.from.user_id !== me && !m.removed) n++;
  }
  return Math.max(n, 1);
}

/**
 * A call, in the dm where it happened: missed (the one who missed it can call back), or answered
 * and how long it lasted ("Call with Bob, 4:12").
 */
function CallRecord({
  m,
  mine,
  conversation,
}: {
  m: UiMessage;
  mine: boolean;
  conversation: string;
}) {
  const calls = useCallStore();
  const video = m.call?.video === true;
  const kind = video ? 'video call' : 'call';
  const durationMs = m.call?.missed === false ? m.call.durationMs : undefined;
  const lasted = durationMs !== undefined;
  const peer = useStore((s) => s.conversations.get(conversation)?.name);
  return (
    <p className="call-record">
      <Icon name={video ? 'video' : 'phone'} />
      {lasted
        ? `${video ? 'Video call' : 'Call'} with ${mine ? (peer ?? 'them') : m.from.displayName}, ${formatDuration(durationMs)}`
        : mine
          ? `Your ${kind} was not answered.`
          : `Missed ${kind} from ${m.from.displayName}.`}
      {!lasted && !mine && isDmKey(conversation) && (
        <button
          type="button"
          className="secondary small"
          onClick={() => void calls.start(m.from.user_id, m.from.displayName, video)}
        >
          Call back
        </button>
      )}
    </p>
  );
}

export const MessageRow = memo(function MessageRow({
  m,
  mine,
  showAuthor,
  seen,
  openLink,
  conversation,
  inThread,
}: {
  m: UiMessage;
  mine: boolean;
  showAuthor: boolean;
  seen: boolean;
  openLink: LinkOpener;
  conversation: string;
  /** The root of the thread panel this row is in (then it has no thread action of its own). */
  inThread?: string;
}) {
  const store = useChatStore();
  const openProfile = useOpenProfile();
  const toasts = useToasts();
  const [deleting, setDeleting] = useState(false);
  const highlighted = useStore(
    (s) => s.highlight !== undefined && s.highlight.messageId === m.messageId,
  );
  const unreadReplies = useStore((s) => newReplies(s, conversation, m, store.me?.user_id));
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState('');
  const [picking, setPicking] = useState(false);
  // The action toolbar exists only while the row is pointed at or has focus (or one of its
  // dialogs is open): thirty rows of hidden icon buttons cost every new message a measurable
  // share of its render (bench:ui, issue 22). Focus on the row mounts it before Right reaches it.
  const [pointed, setPointed] = useState(false);
  const [focused, setFocused] = useState(false);
  const engaged = pointed || focused || picking || deleting;
  const me = store.me?.user_id;
  const stateLabel =
    m.state === 'sending'
      ? 'Sending…'
      : m.state === 'failed'
        ? `Not sent: ${m.error ?? 'refused'}`
        : null;

  // Asked from outside (Up in the composer): open the editor once per request.
  const editRequest = useStore((s) => (s.editing?.key === m.key ? s.editing.nonce : undefined));
  useEffect(() => {
    if (editRequest === undefined) return;
    store.messages.editDone();
    if (mine && !m.removed && m.state === 'sent') {
      // A one-off request from outside (Up in the composer), consumed here: not derived state.
      // eslint-disable-next-line react-hooks/set-state-in-effect
      setDraft(m.text ?? '');
      setEditing(true);
    }
  }, [editRequest]); // eslint-disable-line react-hooks/exhaustive-deps

  function copyText(text: string) {
    void navigator.clipboard.writeText(text).then(
      () => toasts.show('Message text copied.'),
      () => toasts.show('Copying failed: select the text and copy it yourself.'),
    );
  }
  function startEdit() {
    setDraft(m.text ?? '');
    setEditing(true);
  }
  /** Back to the composer, where the user was typing (or pressed Up). */
  /** Focus to the composer this row writes to: the thread panel's or the conversation's. */
  function focusComposer() {
    const where = inThread ? '.thread-panel' : '.chat';
    document.querySelector<HTMLTextAreaElement>(`${where} .composer textarea`)?.focus();
  }
  function stopEditing() {
    setEditing(false);
    focusComposer();
  }
  function saveEdit() {
    const text = draft.trim();
    stopEditing();
    if (text && text !== m.text && m.messageId) void store.messages.edit(m.messageId, text);
  }
  function onEditKey(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      saveEdit();
    } else if (e.key === 'Escape') {
      e.preventDefault();
      stopEditing();
    }
  }

  return (
    <article
      className={`message ${mine ? 'mine' : ''} ${m.state !== 'sent' ? `state-${m.state}` : ''} ${showAuthor ? 'with-author' : ''} ${highlighted ? 'highlighted' : ''}`}
      aria-label={`${m.from.displayName} at ${time(m.ts)}`}
      aria-current={highlighted ? 'true' : undefined}
      tabIndex={highlighted ? -1 : undefined}
      data-seq={m.seq || undefined}
      data-message-id={m.messageId}
      onPointerEnter={() => setPointed(true)}
      onPointerLeave={() => setPointed(false)}
      onFocus={() => setFocused(true)}
      onBlur={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setFocused(false);
      }}
    >
      {showAuthor && (
        <header>
          <button
            type="button"
            className="person"
            title="Show profile"
            onClick={() => openProfile({ userId: m.from.user_id, displayName: m.from.displayName })}
          >
            <Avatar userId={m.from.user_id} name={m.from.displayName} size={36} />
            <strong className="author">{m.from.displayName}</strong>
          </button>{' '}
          <time dateTime={new Date(m.ts).toISOString()}>{time(m.ts)}</time>
        </header>
      )}
      {!showAuthor && (
        // The article's name already says the time; this is for the eye only.
        <time className="gutter-time" dateTime={new Date(m.ts).toISOString()} aria-hidden="true">
          {time(m.ts)}
        </time>
      )}
      {m.reply && !m.removed && (
        <button
          type="button"
          className="quote"
          title="Show the message replied to"
          onClick={() =>
            void store.search.jumpTo(conversation, m.reply!.messageId, 0, inThread ?? undefined)
          }
        >
          <span className="visually-hidden">In reply to </span>
          <span className="quote-author">{m.reply.from.displayName}</span>
          <span className="visually-hidden">: </span>
          <span className="quote-text">
            {m.reply.removed ? (
              <em>This message was deleted.</em>
            ) : (
              <InlineText text={m.reply.text} />
            )}
          </span>
        </button>
      )}
      {m.removed ? (
        <p className="removed">This message was deleted.</p>
      ) : m.call?.group ? (
        <GroupCallLine
          call={m.call}
          group={m.call.group}
          from={m.from.displayName}
          conversation={conversation}
        />
      ) : m.call ? (
        <CallRecord m={m} mine={mine} conversation={conversation} />
      ) : editing ? (
        <div className="edit-box">
          <textarea
            aria-label="Edit message"
            value={draft}
            autoFocus
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={onEditKey}
          />
          <div className="edit-actions">
            <button type="button" onClick={stopEditing}>
              Cancel
            </button>
            <button type="button" className="primary" onClick={saveEdit}>
              Save
            </button>
          </div>
        </div>
      ) : (
        m.text && <MessageText text={m.text} openLink={openLink} me={store.me?.username} />
      )}
      {m.files && !m.removed && <MessageFiles files={m.files} />}
      {m.editedTs !== undefined && !m.removed && !m.call && <span className="hint"> (edited)</span>}
      {stateLabel && (
        <p className={`message-state ${m.state}`} role={m.state === 'failed' ? 'alert' : undefined}>
          {stateLabel}
          {m.state === 'failed' && (
            <>
              {' '}
              <button type="button" onClick={() => void store.messages.retry(m.clientMsgId)}>
                Retry
              </button>
              <button type="button" onClick={() => void store.messages.discard(m.clientMsgId)}>
                Discard
              </button>
            </>
          )}
        </p>
      )}
      {m.reactions && !m.removed && m.messageId && (
        <ReactionBar
          reactions={m.reactions}
          me={me}
          onToggle={(emoji, on) => void store.messages.react(m.messageId!, emoji, on)}
        />
      )}
      {m.replies && m.replies.count > 0 && !inThread && m.messageId && (
        <button
          type="button"
          className="thread-chip"
          onClick={() => void store.threads.open(conversation, m.messageId!)}
        >
          {m.replies.count} {m.replies.count === 1 ? 'reply' : 'replies'}
          {unreadReplies > 0 && <span className="thread-new"> · {unreadReplies} new</span>}
        </button>
      )}
      {seen && <p className="hint seen">Seen</p>}
      {engaged && m.state === 'sent' && !m.removed && !editing && m.messageId && (
        <div className={`message-actions ${picking ? 'open' : ''}`}>
          <button
            type="button"
            aria-label="React with an emoji"
            title="React"
            aria-expanded={picking}
            onClick={() => setPicking((p) => !p)}
          >
            <Icon name="react" />
          </button>
          <button
            type="button"
            aria-label="Reply with a quote"
            title="Reply"
            onClick={() => {
              store.messages.replyTo(composerKey(conversation, inThread), m);
              focusComposer();
            }}
          >
            <Icon name="reply" />
          </button>
          {!inThread && !m.thread && (
            <button
              type="button"
              aria-label="Reply in thread"
              title="Reply in thread"
              onClick={() => void store.threads.open(conversation, m.messageId!)}
            >
              <Icon name="thread" />
            </button>
          )}
          {mine && !m.call && (
            <>
              <button type="button" aria-label="Edit message" title="Edit" onClick={startEdit}>
                <Icon name="edit" />
              </button>
              <button
                type="button"
                aria-label="Delete message"
                title="Delete"
                className="danger-icon"
                onClick={() => setDeleting(true)}
              >
                <Icon name="trash" />
              </button>
            </>
          )}
          {m.text && (
            <Menu
              label="More message actions"
              icon={<Icon name="more" />}
              actions={[{ label: 'Copy text', run: () => copyText(m.text!) }]}
            />
          )}
          {deleting && m.messageId && (
            <ConfirmDialog
              title="Delete this message?"
              body="It is removed for everyone in the conversation, with its files. This cannot be undone."
              action="Delete"
              onConfirm={() => void store.messages.remove(m.messageId!)}
              onClose={() => setDeleting(false)}
            />
          )}
          {picking && (
            <ReactionPicker
              onPick={(emoji) => {
                setPicking(false);
                const already = m.reactions?.some(
                  (r) => r.emoji === emoji && me !== undefined && r.user_ids.includes(me),
                );
                // Picking one you already gave takes it back, as clicking its chip does.
                void store.messages.react(m.messageId!, emoji, !already);
              }}
              onClose={() => setPicking(false)}
            />
          )}
        </div>
      )}
    </article>
  );
});
