// Find groups by name or by size (the protocol's `groups` query), join or open them, join a
// private one with an invite link, or create one, public or private (joining a group that does
// not exist creates it).
import { useEffect, useState, type FormEvent } from 'react';
import { parseInviteLink } from '../../../../shared/invite-link';
import type { GroupSummary } from '../../../../shared/protocol';
import { describe } from '../../state/chat-store';
import { useChatStore, useStore } from '../../state/use-store';
import { Dialog } from '../../ui/Dialog';
import { groupKey } from '../../../../shared/conversation-key';

const GROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function GroupBrowser({ onClose }: { onClose: () => void }) {
  const store = useChatStore();
  const accountId = useStore((s) => s.accountId)!;
  const joined = useStore((s) => s.conversations);
  const [by, setBy] = useState<'name' | 'size'>('name');
  const [query, setQuery] = useState('');
  const [minMembers, setMinMembers] = useState(1);
  const [results, setResults] = useState<GroupSummary[]>([]);
  const [cursor, setCursor] = useState<string | undefined>();
  // Kept apart: a search that finishes late must not wipe what a join or create said.
  const [error, setError] = useState<string | null>(null);
  const [searchError, setSearchError] = useState<string | null>(null);
  const [newName, setNewName] = useState('');
  const [makePrivate, setMakePrivate] = useState(false);
  const [link, setLink] = useState('');
  const [busy, setBusy] = useState(false);
  const serverUrl = useStore((s) => s.accounts.find((a) => a.id === s.accountId)?.serverUrl);

  async function search(more = false) {
    setSearchError(null);
    try {
      const params =
        by === 'name'
          ? { searchFor: 'group' as const, ...(query.trim() ? { value: query.trim() } : {}) }
          : { searchFor: 'number_of_users' as const, value: minMembers, condition: '>=' as const };
      const page = await store.invoke('groups:search', {
        accountId,
        ...params,
        limit: 50,
        ...(more && cursor ? { cursor } : {}),
      });
      setResults(more ? [...results, ...page.list] : page.list);
      setCursor(page.endOfList ? undefined : page.cursor);
    } catch (err) {
      setSearchError(describe(err).message);
    }
  }

  useEffect(() => {
    const t = setTimeout(() => void search(), 150);
    return () => clearTimeout(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [by, query, minMembers]);

  async function join(group: string, opts: { private?: boolean; invite?: string } = {}) {
    setBusy(true);
    setError(null);
    try {
      await store.conversations.joinGroup(group, opts);
      onClose();
    } catch (err) {
      setError(describe(err).message);
    } finally {
      setBusy(false);
    }
  }

  function create(e: FormEvent) {
    e.preventDefault();
    const name = newName.trim();
    if (!GROUP_NAME.test(name)) {
      setError(
        'A group name is 1 to 64 letters, digits, _, . or -, and starts with a letter or digit.',
      );
      return;
    }
    void join(name, makePrivate ? { private: true } : {});
  }

  function joinByLink(e: FormEvent) {
    e.preventDefault();
    const parsed = parseInviteLink(link);
    if ('problem' in parsed) return setError(parsed.problem);
    if (parsed.server && serverUrl && parsed.server !== serverUrl) {
      return setError(
        `This invite is for another server (${parsed.server}); add that account first.`,
      );
    }
    void join(parsed.group, parsed.invite ? { invite: parsed.invite } : {});
  }

  return (
    <Dialog title="Browse groups" onClose={onClose} className="group-browser">
      <form className="search-row" role="search" onSubmit={(e) => e.preventDefault()}>
        <fieldset>
          <legend>Search by</legend>
          <label>
            <input type="radio" name="by" checked={by === 'name'} onChange={() => setBy('name')} />{' '}
            Name
          </label>
          <label>
            <input type="radio" name="by" checked={by === 'size'} onChange={() => setBy('size')} />{' '}
            Members
          </label>
        </fieldset>
        {by === 'name' ? (
          <label>
            Group name starts with
            <input
              type="search"
              value={query}
              onChange={(e) => setQuery(e.target.value)}
              data-autofocus
            />
          </label>
        ) : (
          <label>
            At least this many members
            <input
              type="number"
              min={0}
              value={minMembers}
              onChange={(e) => setMinMembers(Math.max(0, Math.floor(Number(e.target.value) || 0)))}
            />
          </label>
        )}
      </form>
      {searchError && (
        <p role="alert" className="form-error">
          {searchError}
        </p>
      )}
      {error && (
        <p role="alert" className="form-error">
          {error}
        </p>
      )}
      <ul className="group-results" aria-label="Groups found">
        {results.map((g) => {
          const member = joined.has(groupKey(g.group));
          return (
            <li key={g.group}>
              <span>
                <strong>#{g.group}</strong> {g.private && <span className="badge">private</span>}{' '}
                <span className="hint">
                  {g.number_of_users} {g.number_of_users === 1 ? 'member' : 'members'}
                </span>
              </span>
              {member ? (
                <button
                  type="button"
                  className="secondary"
                  onClick={() => {
                    void store.conversations.open(groupKey(g.group));
                    onClose();
                  }}
                >
                  Open
                </button>
              ) : (
                <button
                  type="button"
                  className="primary"
                  disabled={busy}
                  aria-label={`Join ${g.group}`}
                  onClick={() => void join(g.group)}
                >
                  Join
                </button>
              )}
            </li>
          );
        })}
        {results.length === 0 && <li className="hint">No groups found.</li>}
      </ul>
      {cursor && (
        <button type="button" className="secondary" onClick={() => void search(true)}>
          More groups
        </button>
      )}
      <form className="create-group" onSubmit={joinByLink} aria-label="Join with an invite link">
        <label>
          Invite link
          <input
            value={link}
            onChange={(e) => setLink(e.target.value)}
            placeholder="parley://join?…"
            maxLength={600}
          />
        </label>
        <button type="submit" className="secondary" disabled={busy || !link.trim()}>
          Join with link
        </button>
      </form>
      <form className="create-group" onSubmit={create} aria-label="Create a group">
        <label>
          New group name
          <input value={newName} onChange={(e) => setNewName(e.target.value)} maxLength={64} />
        </label>
        <label className="toggle">
          <input
            type="checkbox"
            checked={makePrivate}
            onChange={(e) => setMakePrivate(e.target.checked)}
          />{' '}
          Private: hidden from search; members add people or send invite links
        </label>
        <button type="submit" className="primary" disabled={busy || !newName.trim()}>
          Create group
        </button>
      </form>
    </Dialog>
  );
}
