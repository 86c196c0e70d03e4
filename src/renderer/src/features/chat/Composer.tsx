// Enter sends, Shift+Enter adds a line; the draft of each conversation is kept (across restarts
// too); typing is announced at most every few seconds and "paused" after a quiet spell.
import {
  useEffect,
  useLayoutEffect,
  useRef,
  useState,
  type FormEvent,
  type KeyboardEvent,
} from 'react';
import { DEFAULT_MAX_FILE_BYTES } from '../../../../shared/files';
import { composerKey, describe, type PendingFile } from '../../state/chat-store';
import { Icon } from '../../ui/Icon';
import { formatBytes } from '../files/transfers';
import { loadEmoji, mayHoldShortcode, replaceShortcodes, shortcodeClosedAt } from './emoji-search';
import { useSuggestions } from './use-suggestions';
import { useChatStore, useStore } from '../../state/use-store';

const NO_FILES: readonly PendingFile[] = [];

/**
 * The time, for typing notices. Only event handlers call it; the React compiler's purity check
 * cannot tell once `keep` is also reached through `complete`.
 */
const clock = () => Date.now();

const TYPING_EVERY_MS = 3_000;
const PAUSED_AFTER_MS = 4_000;
/** The server's limit on a message's text (UTF-8 bytes). */
const MAX_TEXT_BYTES = 16_384;

function draftKey(accountId: string, conversation: string): string {
  return `parley.draft.${accountId}.${conversation}`;
}

export function Composer({
  conversation,
  label,
  thread,
}: {
  conversation: string;
  label: string;
  /** Writes into this thread (the thread panel's composer). */
  thread?: string;
}) {
  const store = useChatStore();
  const accountId = useStore((s) => s.accountId) ?? '';
  const key = composerKey(conversation, thread);
  const quoted = useStore((s) => s.replyingTo.get(key));
  const [text, setText] = useState(() => localStorage.getItem(draftKey(accountId, key)) ?? '');
  const [error, setError] = useState<string | null>(null);
  const picked = useStore((s) => s.attachments.get(key) ?? NO_FILES);
  const readyFiles = picked.filter((a) => a.state === 'ready').length;
  const uploading = picked.some((a) => a.state === 'uploading');
  const waiting = useStore((s) => s.waitingSends.get(key));
  const filePicker = useRef<HTMLInputElement>(null);
  const limit = useStore((s) =>
    s.status?.state === 'online' ? s.status.limits?.maxFileBytes : undefined,
  );
  const [caret, setCaret] = useState(0);
  const [chosen, setChosen] = useState(0);
  const [dismissedAt, setDismissedAt] = useState<number | null>(null);
  const { typed, suggestions, emojiList } = useSuggestions(conversation, text, caret, dismissedAt);
  const choice = Math.min(chosen, Math.max(0, suggestions.length - 1));
  const listId = `suggest-${key.replace(/[^\w-]/g, '_')}`;

  function complete(insert: string) {
    if (!typed) return;
    const before = `${text.slice(0, typed.start)}${insert}`;
    caretAfterRender.current = before.length;
    keep(before + text.slice(caret));
    setCaret(before.length);
  }
  function typedText(value: string, at: number) {
    // Typing the closing colon of a known :name: turns it into its emoji at once.
    const closed = emojiList && shortcodeClosedAt(emojiList, value, at);
    if (closed) {
      const before = value.slice(0, closed.start) + closed.emoji;
      caretAfterRender.current = before.length;
      keep(before + value.slice(at));
      setCaret(before.length);
    } else {
      keep(value);
      setCaret(at);
    }
    setChosen(0);
  }
  const lastTyping = useRef(0);
  const pauseTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const input = useRef<HTMLTextAreaElement>(null);
  // After a completion the caret goes after what was put in, as the new text is committed: not
  // a frame later, when keys typed meanwhile would already have landed before it.
  const caretAfterRender = useRef<number | null>(null);
  useLayoutEffect(() => {
    const at = caretAfterRender.current;
    if (at === null) return;
    caretAfterRender.current = null;
    input.current?.setSelectionRange(at, at);
    input.current?.focus();
  }, [text]);

  useEffect(() => {
    input.current?.focus();
    return () => clearTimeout(pauseTimer.current);
  }, []);

  function keep(next: string) {
    setText(next);
    setError(null);
    if (next) localStorage.setItem(draftKey(accountId, key), next);
    else localStorage.removeItem(draftKey(accountId, key));
    const now = clock();
    if (next && now - lastTyping.current > TYPING_EVERY_MS) {
      lastTyping.current = now;
      store.messages.compose(conversation, 'typing');
    }
    clearTimeout(pauseTimer.current);
    pauseTimer.current = setTimeout(() => {
      if (lastTyping.current) store.messages.compose(conversation, 'paused');
      lastTyping.current = 0;
    }, PAUSED_AFTER_MS);
  }

  const loadingForSend = useRef(false);
  async function send(e?: FormEvent) {
    e?.preventDefault();
    let body = text.trim();
    if (!body && readyFiles === 0 && !uploading) return;
    // `:tada:` typed or pasted whole is sent as 🎉, so every reader sees the emoji.
    if (mayHoldShortcode(body)) {
      if (loadingForSend.current) return;
      loadingForSend.current = true;
      try {
        body = replaceShortcodes(emojiList ?? (await loadEmoji()), body);
      } catch {
        // The emoji list did not load: the text goes as typed.
      } finally {
        loadingForSend.current = false;
      }
    }
    const bytes = new TextEncoder().encode(body).length;
    if (bytes > MAX_TEXT_BYTES) {
      setError(
        `This message is too long: ${bytes.toLocaleString()} bytes of ${MAX_TEXT_BYTES.toLocaleString()}. Split it in parts.`,
      );
      return;
    }
    clearTimeout(pauseTimer.current);
    lastTyping.current = 0;
    keep('');
    clearTimeout(pauseTimer.current);
    try {
      await store.messages.post(conversation, body, thread);
    } catch (err) {
      // The outbox refused it (nothing was queued): give the text back.
      keep(body);
      setError(describe(err).message);
    }
  }

  function onKey(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (suggestions.length > 0) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const step = e.key === 'ArrowDown' ? 1 : -1;
        setChosen((choice + step + suggestions.length) % suggestions.length);
        return;
      }
      if ((e.key === 'Enter' && !e.shiftKey) || e.key === 'Tab') {
        e.preventDefault();
        complete(suggestions[choice]!.insert);
        return;
      }
      if (e.key === 'Escape') {
        e.preventDefault();
        setDismissedAt(typed!.start);
        return;
      }
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void send();
    } else if (e.key === 'Escape' && quoted) {
      e.preventDefault();
      store.messages.replyTo(key, undefined);
    } else if (e.key === 'ArrowUp' && !thread && !text && !e.altKey && !e.ctrlKey && !e.metaKey) {
      // Up in an empty composer edits your last message.
      if (store.messages.editLast(conversation)) e.preventDefault();
    }
  }

  return (
    <form className="composer" onSubmit={(e) => void send(e)}>
      {quoted && (
        <div className="replying" role="status">
          <span className="quote-author">Replying to {quoted.from.displayName}</span>
          <span className="quote-text">{quoted.text ?? ''}</span>
          <button
            type="button"
            className="secondary"
            aria-label="Cancel the reply"
            title="Cancel the reply (Escape)"
            onClick={() => {
              store.messages.replyTo(key, undefined);
              input.current?.focus();
            }}
          >
            ✕
          </button>
        </div>
      )}
      {suggestions.length > 0 && (
        <ul
          id={listId}
          role="listbox"
          aria-label={suggestions[0]?.id.startsWith('@') ? 'Members to mention' : 'Emoji'}
          className="mention-list"
        >
          {suggestions.map((m, i) => (
            <li
              key={m.id}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === choice}
              className={i === choice ? 'chosen' : ''}
              // mousedown, not click: the textarea keeps focus and its caret.
              onMouseDown={(e) => {
                e.preventDefault();
                complete(m.insert);
              }}
            >
              {m.label}
            </li>
          ))}
        </ul>
      )}
      {picked.length > 0 && (
        <ul className="attachments-picked" aria-label="Files to send">
          {picked.map((a) => (
            <li key={a.id} className={`picked picked-${a.state}`}>
              {a.previewUrl && (
                <img className="picked-preview" src={a.previewUrl} alt={`Preview of ${a.name}`} />
              )}
              <span className="picked-name">{a.name}</span>{' '}
              <span className="hint">{formatBytes(a.size)}</span>
              {a.state === 'uploading' && (
                <progress
                  max={Math.max(1, a.size)}
                  value={a.sent}
                  aria-label={`Uploading ${a.name}`}
                />
              )}
              {a.state === 'ready' && <span className="hint"> ready</span>}
              {a.state === 'failed' && (
                <span role="alert" className="form-error">
                  {' '}
                  Not sent: {a.error}
                </span>
              )}
              <button
                type="button"
                className="secondary small"
                aria-label={a.state === 'uploading' ? `Cancel ${a.name}` : `Remove ${a.name}`}
                onClick={() => store.attachments.remove(key, a.id)}
              >
                ✕
              </button>
            </li>
          ))}
        </ul>
      )}
      <textarea
        ref={input}
        aria-autocomplete="list"
        aria-controls={suggestions.length > 0 ? listId : undefined}
        aria-activedescendant={suggestions.length > 0 ? `${listId}-${choice}` : undefined}
        aria-label={thread ? 'Reply in thread' : 'Message'}
        placeholder={thread ? 'Reply in thread…' : `Message ${label}`}
        rows={Math.min(8, text.split('\n').length)}
        value={text}
        onChange={(e) => typedText(e.target.value, e.target.selectionStart)}
        onSelect={(e) => setCaret(e.currentTarget.selectionStart)}
        onPaste={(e) => {
          // Pasted files (a screenshot, files copied in a file manager) are attached.
          const files = [...e.clipboardData.files];
          if (files.length === 0) return;
          e.preventDefault();
          store.attachments.attach(conversation, files, thread);
        }}
        onKeyDown={onKey}
      />
      <div className="composer-buttons">
        <button
          type="button"
          className="secondary"
          aria-label={`Attach files (up to ${formatBytes(limit ?? DEFAULT_MAX_FILE_BYTES)} each)`}
          title={`Attach files (up to ${formatBytes(limit ?? DEFAULT_MAX_FILE_BYTES)} each); you can also drop or paste them`}
          onClick={() => filePicker.current?.click()}
        >
          <Icon name="paperclip" />
        </button>
        <input
          ref={filePicker}
          type="file"
          multiple
          hidden
          aria-hidden
          tabIndex={-1}
          onChange={(e) => {
            const files = [...(e.target.files ?? [])];
            e.target.value = '';
            if (files.length) store.attachments.attach(conversation, files, thread);
            input.current?.focus();
          }}
        />
        <button
          type="submit"
          className="primary"
          aria-label="Send"
          disabled={!text.trim() && readyFiles === 0 && !uploading}
          title={uploading ? 'Sends when the files are uploaded' : undefined}
        >
          Send
        </button>
      </div>
      {waiting && (
        <p
          role={waiting.failed ? 'alert' : 'status'}
          className={waiting.failed ? 'form-error' : 'hint'}
        >
          {waiting.failed
            ? `Not sent: ${waiting.failed}. `
            : `“${waiting.text.length > 40 ? `${waiting.text.slice(0, 40)}…` : waiting.text}” is sent as soon as the files are uploaded. `}
          <button
            type="button"
            className="secondary small"
            onClick={() => keep(store.messages.takeBackWaiting(conversation, thread))}
          >
            {waiting.failed ? 'Edit message' : 'Cancel sending'}
          </button>
        </p>
      )}
      {error && (
        <p role="alert" className="form-error">
          {error}
        </p>
      )}
    </form>
  );
}
