// A thread beside the conversation: its root, its replies (older ones on demand) and a composer
// that writes into it. While it is open in a focused window, its replies count as read.
import { useEffect, useMemo, useRef } from 'react';
import { pendingOf, type UiMessage } from '../../state/messages';
import { useChatStore, useStore } from '../../state/use-store';
import { useWindowFocused } from '../../ui/use-window-focus';
import { useOpenLink } from './use-open-link';
import { Composer } from './Composer';
import { MessageRow } from './MessageRow';

const NONE: UiMessage[] = [];

export function ThreadPanel({ conversation, root }: { conversation: string; root: string }) {
  const store = useChatStore();
  const thread = useStore((s) => s.threads.get(root));
  const outbox = useStore((s) => s.outbox);
  const accountId = useStore((s) => s.accountId);
  const me = store.me;
  const replies = thread?.list ?? NONE;
  const pending = useMemo(
    () => (me ? pendingOf(outbox, conversation, replies, me).filter((m) => m.thread === root) : []),
    [outbox, conversation, replies, root, me?.user_id], // eslint-disable-line react-hooks/exhaustive-deps
  );
  const shown = useMemo(
    () => [...replies.filter((m) => !m.removed), ...pending],
    [replies, pending],
  );

  // Read while open in a focused window.
  const focused = useWindowFocused();
  const newest = Math.max(thread?.root?.replies?.lastSeq ?? 0, replies.at(-1)?.seq ?? 0);
  useEffect(() => {
    if (focused && newest > 0) store.threads.markRead(root, newest);
  }, [focused, newest, root, store]);

  // The newest reply stays in view as replies arrive.
  const body = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = body.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [shown.length]);

  const openLink = useOpenLink();

  const count = thread?.root?.replies?.count ?? shown.length;
  return (
    <aside
      className="thread-panel"
      aria-label="Thread"
      onKeyDown={(e) => {
        if (e.key === 'Escape' && !e.defaultPrevented) store.threads.close();
      }}
    >
      <header className="thread-header">
        <h2>
          Thread{' '}
          <span className="hint">
            {count} {count === 1 ? 'reply' : 'replies'}
          </span>
        </h2>
        <button
          type="button"
          className="secondary small"
          aria-label="Close the thread"
          onClick={() => store.threads.close()}
        >
          ×
        </button>
      </header>
      <div className="thread-body" ref={body}>
        {thread?.root ? (
          <MessageRow
            m={thread.root}
            mine={thread.root.from.user_id === me?.user_id}
            showAuthor
            seen={false}
            openLink={openLink}
            conversation={conversation}
            inThread={root}
          />
        ) : (
          !thread?.loading && (
            <p className="removed">The message this thread started from was deleted.</p>
          )
        )}
        <div className="thread-divider" role="separator">
          <span>
            {count === 0 ? 'No replies yet' : `${count} ${count === 1 ? 'reply' : 'replies'}`}
          </span>
        </div>
        {thread?.hasOlder && (
          <button
            type="button"
            className="secondary small"
            onClick={() => void store.threads.loadOlder(root)}
          >
            Show older replies
          </button>
        )}
        {thread?.loading && <p role="status">Loading replies…</p>}
        {thread?.error && (
          <p role="alert">
            Could not load the thread: {thread.error}{' '}
            <button type="button" onClick={() => void store.threads.open(conversation, root)}>
              Try again
            </button>
          </p>
        )}
        {shown.map((m, i) => {
          const prev = shown[i - 1];
          return (
            <MessageRow
              key={m.key}
              m={m}
              mine={m.from.user_id === me?.user_id}
              showAuthor={!prev || prev.from.user_id !== m.from.user_id}
              seen={false}
              openLink={openLink}
              conversation={conversation}
              inThread={root}
            />
          );
        })}
      </div>
      <Composer
        key={`thread|${accountId}|${conversation}|${root}`}
        conversation={conversation}
        label="thread"
        thread={root}
      />
    </aside>
  );
}
