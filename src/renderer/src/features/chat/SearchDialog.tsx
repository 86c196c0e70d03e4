// Search messages: in this conversation or everywhere the user can read, newest first, the
// matching words marked; choosing a hit shows it in its conversation (or its thread).
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { SearchHit } from '../../../../shared/protocol';
import { describe } from '../../state/chat-store';
import { useChatStore, useStore } from '../../state/use-store';
import { Dialog } from '../../ui/Dialog';
import { listKeys } from '../../ui/list-keys';
import { highlight, queryWords } from '../search/highlight';
import { groupNameOf } from '../../../../shared/conversation-key';
import { EmptyState } from '../../ui/EmptyState';

const TYPING_PAUSE_MS = 250;
const DAY = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

export function SearchDialog({
  conversation,
  title,
  onClose,
}: {
  conversation: string;
  /** The conversation's name as its header shows it. */
  title: string;
  onClose: () => void;
}) {
  const store = useChatStore();
  const conversations = useStore((s) => s.conversations);
  const [query, setQuery] = useState('');
  const [everywhere, setEverywhere] = useState(false);
  const [hits, setHits] = useState<SearchHit[]>([]);
  const [cursor, setCursor] = useState<string | undefined>();
  const [state, setState] = useState<'idle' | 'searching' | 'done'>('idle');
  const [problem, setProblem] = useState<string | null>(null);
  const [chosen, setChosen] = useState(0);
  const asked = useRef(0);

  const scope = everywhere ? undefined : conversation;
  const hasWords = queryWords(query).length > 0;
  useEffect(() => {
    if (!hasWords) return;
    const ask = ++asked.current;
    const timer = setTimeout(() => {
      setState('searching');
      store.search
        .messages(query, scope)
        .then((r) => {
          if (ask !== asked.current) return; // a later query is on its way
          setHits(r.results);
          setCursor(r.endOfList ? undefined : r.cursor);
          setProblem(null);
          setChosen(0);
          setState('done');
        })
        .catch((err: unknown) => {
          if (ask !== asked.current) return;
          setProblem(describe(err).message);
          setState('done');
        });
    }, TYPING_PAUSE_MS);
    return () => clearTimeout(timer);
  }, [query, scope, hasWords, store]);

  function more() {
    if (!cursor) return;
    const ask = asked.current;
    void store.search
      .messages(query, scope, cursor)
      .then((r) => {
        if (ask !== asked.current) return;
        setHits((h) => [...h, ...r.results]);
        setCursor(r.endOfList ? undefined : r.cursor);
      })
      .catch((err: unknown) => setProblem(describe(err).message));
  }

  function go(hit: SearchHit | undefined) {
    if (!hit) return;
    onClose();
    const thread = typeof hit.body?.thread === 'string' ? hit.body.thread : undefined;
    void store.search.jumpTo(hit.conversation, hit.messageId, hit.seq, thread);
  }

  function onKey(e: KeyboardEvent) {
    listKeys(e, {
      count: hits.length,
      chosen,
      choose: setChosen,
      take: () => go(hits[chosen]),
    });
  }

  const shown = hasWords ? hits : [];
  /** Where a hit is. A dm written by its other person says so once, not "Cat · Cat" (gap 10). */
  const whereOf = (key: string, from: string) => {
    const c = conversations.get(key);
    const group = groupNameOf(key);
    if (!c) return group !== null ? `#${group}` : 'Direct message';
    if (c.kind === 'group') return `#${c.name}`;
    return c.name === from ? 'Direct message' : c.name;
  };
  return (
    <Dialog title="Search messages" onClose={onClose} className="search-dialog">
      <input
        role="combobox"
        aria-label="Search for"
        aria-expanded="true"
        aria-controls="search-results"
        aria-activedescendant={shown[chosen] ? `hit-${chosen}` : undefined}
        placeholder="Words to find"
        value={query}
        data-autofocus
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={onKey}
      />
      <fieldset className="search-scope">
        <legend className="visually-hidden">Where to search</legend>
        <label>
          <input type="radio" checked={!everywhere} onChange={() => setEverywhere(false)} /> In{' '}
          {title}
        </label>
        <label>
          <input type="radio" checked={everywhere} onChange={() => setEverywhere(true)} />{' '}
          Everywhere
        </label>
      </fieldset>
      {problem && (
        <p role="alert" className="form-error">
          {problem}
        </p>
      )}
      <p className="hint" role="status">
        {!hasWords
          ? 'Type a word: messages holding every word (or words starting so) are found.'
          : state === 'searching'
            ? 'Searching…'
            : state === 'done' && !problem
              ? shown.length === 0
                ? 'Nothing found.'
                : `${shown.length}${cursor ? '+' : ''} found, newest first.`
              : ''}
      </p>
      {hasWords && state === 'done' && !problem && shown.length === 0 && (
        <EmptyState
          icon="search"
          title={`No messages match “${query.trim()}”`}
          action={
            !everywhere && (
              <button type="button" className="secondary" onClick={() => setEverywhere(true)}>
                Search every conversation
              </button>
            )
          }
        >
          <p>Try fewer words{everywhere ? '.' : ', or look in every conversation.'}</p>
        </EmptyState>
      )}
      <ul id="search-results" role="listbox" aria-label="Messages found">
        {shown.map((hit, i) => (
          <li
            key={hit.messageId}
            id={`hit-${i}`}
            role="option"
            aria-selected={i === chosen}
            className={`search-hit ${i === chosen ? 'chosen' : ''}`}
            onClick={() => go(hit)}
          >
            <div className="hint">
              {everywhere && (
                <span className="hit-where">
                  {whereOf(hit.conversation, hit.from.displayName)} ·{' '}
                </span>
              )}
              <strong>{hit.from.displayName}</strong> · {DAY.format(hit.ts)}
              {typeof hit.body?.thread === 'string' && ' · in a thread'}
            </div>
            <div className="hit-text">
              {highlight(hit.body?.text ?? '', query).map((p, j) =>
                p.hit ? <mark key={j}>{p.text}</mark> : <span key={j}>{p.text}</span>,
              )}
            </div>
          </li>
        ))}
      </ul>
      {cursor && hasWords && (
        <button type="button" className="secondary" onClick={more}>
          Show more
        </button>
      )}
    </Dialog>
  );
}
