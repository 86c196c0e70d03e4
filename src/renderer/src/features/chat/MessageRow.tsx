// One message: author and time when the speaker changes, the text, its state (sending, failed
// with retry), its reactions, a reaction picker, and edit and delete for your own.
import { memo, useEffect, useState, type KeyboardEvent } from 'react';
import type { UiMessage } from '../../state/messages';
import { useChatStore, useStore } from '../../state/use-store';
import { MessageText, type LinkOpener } from './MessageText';
import { ReactionBar, ReactionPicker } from './Reactions';

// One formatter for every row: toLocaleTimeString builds a new one per call, and was the
// costliest function of the page under a flood of messages (bench/ui).
const TIME = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
function time(ts: number): string {
  return TIME.format(ts);
}

export const MessageRow = memo(function MessageRow({
  m,
  mine,
  showAuthor,
  seen,
  openLink,
}: {
  m: UiMessage;
  mine: boolean;
  showAuthor: boolean;
  seen: boolean;
  openLink: LinkOpener;
}) {
  const store = useChatStore();
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState('');
  const [picking, setPicking] = useState(false);
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
    store.editDone();
    if (mine && !m.removed && m.state === 'sent') {
      setDraft(m.text ?? '');
      setEditing(true);
    }
  }, [editRequest]); // eslint-disable-line react-hooks/exhaustive-deps

  function startEdit() {
    setDraft(m.text ?? '');
    setEditing(true);
  }
  /** Back to the composer, where the user was typing (or pressed Up). */
  function stopEditing() {
    setEditing(false);
    document.querySelector<HTMLTextAreaElement>('.composer textarea')?.focus();
  }
  function saveEdit() {
    const text = draft.trim();
    stopEditing();
    if (text && text !== m.text && m.messageId) void store.edit(m.messageId, text);
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
      className={`message ${mine ? 'mine' : ''} ${m.state !== 'sent' ? `state-${m.state}` : ''} ${showAuthor ? 'with-author' : ''}`}
      aria-label={`${m.from.displayName} at ${time(m.ts)}`}
      data-seq={m.seq || undefined}
    >
      {showAuthor && (
        <header>
          <strong className="author">{m.from.displayName}</strong>{' '}
          <time dateTime={new Date(m.ts).toISOString()}>{time(m.ts)}</time>
        </header>
      )}
      {m.removed ? (
        <p className="removed">This message was deleted.</p>
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
        <MessageText text={m.text ?? ''} openLink={openLink} />
      )}
      {m.editedTs !== undefined && !m.removed && <span className="hint"> (edited)</span>}
      {stateLabel && (
        <p className={`message-state ${m.state}`} role={m.state === 'failed' ? 'alert' : undefined}>
          {stateLabel}
          {m.state === 'failed' && (
            <>
              {' '}
              <button type="button" onClick={() => void store.retry(m.clientMsgId)}>
                Retry
              </button>
              <button type="button" onClick={() => void store.discard(m.clientMsgId)}>
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
          onToggle={(emoji, on) => void store.react(m.messageId!, emoji, on)}
        />
      )}
      {seen && <p className="hint seen">Seen</p>}
      {m.state === 'sent' && !m.removed && !editing && m.messageId && (
        <div className={`message-actions ${picking ? 'open' : ''}`}>
          <button
            type="button"
            aria-label="Add reaction"
            aria-expanded={picking}
            onClick={() => setPicking((p) => !p)}
          >
            React
          </button>
          {mine && (
            <>
              <button type="button" aria-label="Edit message" onClick={startEdit}>
                Edit
              </button>
              <button
                type="button"
                aria-label="Delete message"
                onClick={() => {
                  if (m.messageId && window.confirm('Delete this message for everyone?'))
                    void store.remove(m.messageId);
                }}
              >
                Delete
              </button>
            </>
          )}
          {picking && (
            <ReactionPicker
              onPick={(emoji) => {
                setPicking(false);
                const already = m.reactions?.some(
                  (r) => r.emoji === emoji && me !== undefined && r.user_ids.includes(me),
                );
                // Picking one you already gave takes it back, as clicking its chip does.
                void store.react(m.messageId!, emoji, !already);
              }}
              onClose={() => setPicking(false)}
            />
          )}
        </div>
      )}
    </article>
  );
});
