// The conversation's history, virtualized: only what is on screen is in the DOM, so 100,000
// messages cost what 30 do. Older pages load when the top is reached, kept in place with
// firstItemIndex (no jump); new messages are followed at the bottom and announced otherwise.
// A conversation with unread messages opens at the first of them (or at the oldest loaded, when
// there are more), not at the bottom: nothing counts as read until it has been on screen.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Virtuoso, type VirtuosoHandle } from 'react-virtuoso';
import type { GroupEvent } from '../../../../shared/protocol';
import {
  dayKey,
  dayLabel,
  EMPTY_MESSAGES,
  eventsBetween,
  groupEventText,
  pendingOf,
  type UiMessage,
} from '../../state/messages';
import { EmptyState } from '../../ui/EmptyState';
import { MessageSkeleton } from '../../ui/Skeleton';
import { useChatStore, useStore } from '../../state/use-store';
import { useWindowFocused } from '../../ui/use-window-focus';
import { useOpenLink } from './use-open-link';
import { MessageRow } from './MessageRow';
import { rovingKey, rovingTabOrder } from './roving-messages';
import { isDmKey } from '../../../../shared/conversation-key';

/** Virtuoso needs a positive index for the first item that only decreases as pages go in front. */
const FIRST_INDEX = 1_000_000_000;
const SAME_AUTHOR_MS = 5 * 60_000;
const NO_PENDING: UiMessage[] = [];

const TIME = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

/** Joins, leaves and topic changes, as quiet lines between the messages. */
function GroupEventLines({ events }: { events: readonly GroupEvent[] }) {
  if (events.length === 0) return null;
  return (
    <>
      {events.map((e) => (
        <p key={`${e.ts}|${e.user_id}|${e.action}`} className="group-event">
          {groupEventText(e)}{' '}
          <time dateTime={new Date(e.ts).toISOString()}>{TIME.format(e.ts)}</time>
        </p>
      ))}
    </>
  );
}

interface ListContext {
  hasOlder: boolean;
  /** Group events after the newest message. */
  tail: readonly GroupEvent[];
}

const LIST_PARTS = {
  Header: ({ context }: { context?: ListContext }) => (
    <div className="list-edge hint">
      {context?.hasOlder ? 'Loading older messages…' : 'This is the beginning of the conversation.'}
    </div>
  ),
  Footer: ({ context }: { context?: ListContext }) => (
    <GroupEventLines events={context?.tail ?? []} />
  ),
};

export function MessageList({ conversation }: { conversation: string }) {
  const store = useChatStore();
  const stored = useStore((s) => s.messages.get(conversation) ?? EMPTY_MESSAGES);
  // Thread replies are shown in their thread's panel, not here.
  const held = useMemo(
    () =>
      stored.list.some((m) => m.thread)
        ? { ...stored, list: stored.list.filter((m) => !m.thread) }
        : stored,
    [stored],
  );
  const outbox = useStore((s) => s.outbox);
  const peerRead = useStore((s) => s.peerRead.get(conversation) ?? 0);
  const me = store.me;
  const myId = me?.user_id ?? '';
  // Where "New" goes: the read marker when the conversation was opened.
  const [readAtOpen] = useState(
    () => store.getState().conversations.get(conversation)?.readSeq ?? 0,
  );
  const pending = useMemo(
    () => (me ? pendingOf(outbox, conversation, held.list, me) : NO_PENDING),
    [outbox, conversation, held.list, me?.user_id], // eslint-disable-line react-hooks/exhaustive-deps
  );
  const items = useMemo(() => {
    const main = pending.filter((m) => !m.thread);
    return main.length ? [...held.list, ...main] : held.list;
  }, [held.list, pending]);
  const lastSeenMine = useMemo(() => {
    if (!isDmKey(conversation) || peerRead === 0) return -1;
    for (let i = held.list.length - 1; i >= 0; i--) {
      const m = held.list[i]!;
      if (m.from.user_id === myId && m.seq <= peerRead) return m.seq;
    }
    return -1;
  }, [held.list, peerRead, myId, conversation]);
  const firstNew = useMemo(() => {
    const marker = readAtOpen;
    return (
      held.list.find((m) => m.seq > marker && m.from.user_id !== myId && !m.removed)?.seq ?? -1
    );
  }, [held.list, myId, readAtOpen]);

  const openLink = useOpenLink();

  // Read up to the newest message while it is on screen and the window has focus.
  // False until the list itself says so: assuming it marked everything read the moment a
  // conversation opened, whatever was on screen.
  const [atBottom, setAtBottom] = useState(false);
  // Following the newest message is the user's choice, not a measurement: when messages pour in
  // faster than the list scrolls, "at the bottom" is briefly false, and following must go on.
  // Only the user scrolling up stops it; reaching the bottom again resumes it.
  const follow = useRef(true);
  // Where the list opens, decided once, when the first messages are there: the first unread
  // message from someone else, the top of what is loaded when the unread go further back, or
  // the newest message. The list mounts once it is known (Virtuoso reads it only at mount).
  const [start, setStart] = useState<number | 'LAST' | null>(null);
  const hasItems = items.length > 0;
  useEffect(() => {
    if (start !== null || !hasItems) return;
    const firstUnread = held.list.findIndex(
      (m) => m.seq > readAtOpen && m.from.user_id !== myId && !m.removed,
    );
    const oldest = held.list[0];
    const moreBefore = held.hasOlder && oldest !== undefined && oldest.seq > readAtOpen + 1;
    const at = moreBefore && firstUnread >= 0 ? 0 : firstUnread > 0 ? firstUnread : 'LAST';
    follow.current = at === 'LAST';
    setStart(at); // eslint-disable-line react-hooks/set-state-in-effect -- decided once, at open
  }, [start, hasItems, held, readAtOpen, myId]);
  const onBottom = useCallback((bottom: boolean) => {
    if (bottom) follow.current = true;
    setAtBottom(bottom);
  }, []);
  const stopFollowing = useCallback(() => {
    follow.current = false;
  }, []);
  const focused = useWindowFocused();
  const newestSeq = held.list[held.list.length - 1]?.seq ?? 0;
  useEffect(() => {
    if (atBottom && focused && newestSeq > 0)
      void store.conversations.markRead(conversation, newestSeq);
  }, [atBottom, focused, newestSeq, conversation, store]);

  // Messages that arrived below the fold: counted and announced, with a way down.
  const [unseen, setUnseen] = useState(0);
  const lastCount = useRef(items.length);
  const lastKey = useRef(items[items.length - 1]?.key);
  useEffect(() => {
    const newestKey = items[items.length - 1]?.key;
    if (!atBottom && newestKey !== lastKey.current && items.length > lastCount.current) {
      setUnseen((n) => n + (items.length - lastCount.current));
    }
    if (atBottom) setUnseen(0);
    lastCount.current = items.length;
    lastKey.current = newestKey;
  }, [items, atBottom]);

  const list = useRef<VirtuosoHandle>(null);
  const newestTs = held.list[held.list.length - 1]?.ts ?? -Infinity;
  const listContext = useMemo<ListContext>(
    () => ({
      hasOlder: held.hasOlder,
      tail: eventsBetween(stored.groupEvents, newestTs, Infinity),
    }),
    [held.hasOlder, stored.groupEvents, newestTs],
  );
  const firstItemIndex = FIRST_INDEX - held.prepended;
  // A message asked to open for editing (Up in the composer) is brought into view, where its
  // row picks the request up.
  const editKey = useStore((s) => s.editing?.key);
  useEffect(() => {
    if (editKey === undefined) return;
    const index = items.findIndex((m) => m.key === editKey);
    if (index >= 0)
      list.current?.scrollIntoView({ index: firstItemIndex + index, behavior: 'auto' });
  }, [editKey]); // eslint-disable-line react-hooks/exhaustive-deps

  // A message asked for (a search hit, a quote): brought into view, then focused for the keyboard.
  const highlight = useStore((s) =>
    s.highlight?.conversation === conversation ? s.highlight : undefined,
  );
  useEffect(() => {
    if (!highlight) return;
    const index = items.findIndex((m) => m.messageId === highlight.messageId);
    if (index < 0) return;
    follow.current = false;
    list.current?.scrollToIndex({
      index: firstItemIndex + index,
      align: 'center',
      behavior: 'auto',
    });
    const focus = setTimeout(() => {
      frame.current
        ?.querySelector<HTMLElement>(`[data-message-id="${CSS.escape(highlight.messageId)}"]`)
        ?.focus();
    }, 100);
    return () => clearTimeout(focus);
  }, [highlight?.nonce, start !== null]); // eslint-disable-line react-hooks/exhaustive-deps

  // While following, the newest message stays pinned when anything changes the geometry: rows
  // measured taller than guessed, the window resized, the composer growing. Virtuoso follows new
  // items by itself, not a viewport that shrinks under them.
  // The scroll element itself is set: Virtuoso's own follow and scrollToIndex stopped a few
  // pixels short of the end after rows were measured.
  const scroller = useRef<HTMLElement | null>(null);
  const pin = useCallback(() => {
    if (!follow.current) return;
    requestAnimationFrame(() => {
      const el = scroller.current;
      if (el && follow.current) el.scrollTop = el.scrollHeight;
    });
  }, []);
  const frame = useRef<HTMLDivElement>(null);
  // The one message in the tab order (roving-messages.ts): the last one focused.
  const current = useRef<string | undefined>(undefined);
  const listShown = start !== null && items.length > 0;
  useEffect(() => {
    const root = frame.current;
    if (!listShown || !root) return;
    return rovingTabOrder(root, () => current.current);
  }, [listShown]);
  useEffect(() => {
    const el = frame.current;
    if (!el) return;
    const observer = new ResizeObserver(() => pin());
    observer.observe(el);
    return () => observer.disconnect();
  }, [pin, start !== null]); // eslint-disable-line react-hooks/exhaustive-deps

  if (held.loading && held.list.length === 0 && pending.length === 0) {
    return <MessageSkeleton label="Loading messages…" />;
  }
  if (held.error && held.list.length === 0) {
    return (
      <div className="messages-empty" role="alert">
        <EmptyState
          icon="alert"
          title="Could not load messages"
          action={
            <button
              type="button"
              className="primary"
              onClick={() => void store.conversations.open(conversation)}
            >
              Try again
            </button>
          }
        >
          <p>{held.error}</p>
        </EmptyState>
      </div>
    );
  }
  if (items.length === 0) {
    return (
      <div className="messages-empty">
        <EmptyState icon="message" title="No messages yet">
          <p>Say hello: what you write below starts the conversation.</p>
        </EmptyState>
      </div>
    );
  }
  if (start === null) return <div className="messages" role="log" aria-label="Messages" />;

  return (
    <div
      ref={frame}
      className="messages"
      role="log"
      aria-label="Messages"
      aria-live="polite"
      onWheel={(e) => e.deltaY < 0 && stopFollowing()}
      onTouchMove={stopFollowing}
      onFocus={(e) => {
        const id = (e.target as HTMLElement).closest<HTMLElement>('article.message')?.dataset
          .messageId;
        if (id) current.current = id;
      }}
      onKeyDown={(e) => {
        if (['PageUp', 'ArrowUp', 'Home'].includes(e.key)) stopFollowing();
        const target = e.target as HTMLElement;
        if (/^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return;
        const handled = rovingKey(
          e.currentTarget,
          e.key,
          target,
          (by) => scroller.current?.scrollBy({ top: by }),
          () =>
            e.currentTarget
              .closest('.chat, .thread-panel')
              ?.querySelector<HTMLElement>('.composer textarea')
              ?.focus(),
        );
        if (handled) e.preventDefault();
      }}
      onMouseDown={(e) =>
        e.target === e.currentTarget.querySelector('.virtual-list') && stopFollowing()
      }
    >
      <Virtuoso
        ref={list}
        className="virtual-list"
        data={items}
        firstItemIndex={firstItemIndex}
        initialTopMostItemIndex={
          start === 'LAST' ? { index: 'LAST', align: 'end' } : { index: start, align: 'start' }
        }
        defaultItemHeight={44}
        alignToBottom
        followOutput={() => (follow.current ? 'auto' : false)}
        atBottomStateChange={onBottom}
        totalListHeightChanged={pin}
        scrollerRef={(el) => {
          scroller.current = el instanceof HTMLElement ? el : null;
        }}
        atBottomThreshold={40}
        startReached={() => void store.conversations.loadOlder(conversation)}
        increaseViewportBy={{ top: 400, bottom: 200 }}
        computeItemKey={(_, m) => m.key}
        context={listContext}
        components={LIST_PARTS}
        itemContent={(index, m) => {
          const prev = items[index - firstItemIndex - 1];
          const newDay = !prev || dayKey(prev.ts) !== dayKey(m.ts);
          const showAuthor =
            newDay ||
            !prev ||
            prev.from.user_id !== m.from.user_id ||
            m.ts - prev.ts > SAME_AUTHOR_MS;
          return (
            <div className="row">
              {newDay && (
                <div className="day-separator" role="separator" aria-label={dayLabel(m.ts)}>
                  <span>{dayLabel(m.ts)}</span>
                </div>
              )}
              <GroupEventLines
                events={eventsBetween(
                  stored.groupEvents,
                  prev ? prev.ts : held.hasOlder ? m.ts : -Infinity,
                  m.ts,
                )}
              />
              {m.seq === firstNew && (
                <div className="new-separator" role="separator" aria-label="New messages">
                  <span>New</span>
                </div>
              )}
              <MessageRow
                m={m}
                mine={m.from.user_id === myId}
                showAuthor={showAuthor}
                seen={m.seq === lastSeenMine}
                openLink={openLink}
                conversation={conversation}
              />
            </div>
          );
        }}
      />
      {!atBottom && (
        <button
          type="button"
          className="new-below"
          onClick={() => {
            follow.current = true;
            list.current?.scrollToIndex({ index: 'LAST', behavior: 'auto' });
            pin();
          }}
        >
          {unseen > 0
            ? `${unseen} new ${unseen === 1 ? 'message' : 'messages'} below ↓`
            : 'Jump to latest ↓'}
        </button>
      )}
    </div>
  );
}
