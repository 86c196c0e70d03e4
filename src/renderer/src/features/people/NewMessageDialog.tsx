// "New message" (UX-3 gap 7): pick one person for a direct message, or several for a new
// private group with them in it.
import { useState } from 'react';
import type { PersonSummary } from '../../../../shared/protocol';
import { describe } from '../../state/chat-store';
import { useChatStore } from '../../state/use-store';
import { Dialog } from '../../ui/Dialog';
import { PeopleFinder } from './PeopleFinder';

/** A group name from the people in it: their usernames, within the 64 characters allowed. */
function nameFor(people: PersonSummary[]): string {
  return people
    .map((p) => p.username.replace(/[^\w.-]/g, ''))
    .join('-')
    .slice(0, 40);
}

export function NewMessageDialog({ onClose }: { onClose: () => void }) {
  const store = useChatStore();
  const [query, setQuery] = useState('');
  const [chosen, setChosen] = useState<PersonSummary[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const myId = store.me?.user_id;

  async function start() {
    const [only] = chosen;
    if (!only) return;
    setBusy(true);
    setProblem(null);
    try {
      if (chosen.length === 1) {
        await store.conversations.openDirect(only.user_id, only.displayName);
        onClose();
        return;
      }
      const group = await store.conversations.joinGroup(nameFor(chosen), { private: true });
      const refused: string[] = [];
      for (const p of chosen) {
        await store.members.add(group, p.user_id).catch(() => refused.push(p.displayName));
      }
      if (refused.length === 0) onClose();
      else
        setProblem(
          `#${group} is made, but ${refused.join(', ')} could not be added: you can add people you share a group or a conversation with. Send the others an invite link from the group's menu.`,
        );
    } catch (err) {
      setProblem(describe(err).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog title="New message" onClose={onClose}>
      <p className="hint">One person starts a direct message; more make a private group.</p>
      {chosen.length > 0 && (
        <ul className="chips" aria-label="Chosen people">
          {chosen.map((p) => (
            <li key={p.user_id}>
              {p.displayName}
              <button
                type="button"
                className="icon-button"
                aria-label={`Remove ${p.displayName}`}
                onClick={() => setChosen((list) => list.filter((c) => c.user_id !== p.user_id))}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      <PeopleFinder
        label="To"
        placeholder="Name or username"
        query={query}
        onQuery={setQuery}
        problem={problem}
        hide={(p) => p.user_id === myId || chosen.some((c) => c.user_id === p.user_id)}
        render={(p) => (
          <button
            type="button"
            className="link-button"
            onClick={() => {
              setChosen((list) => [...list, p]);
              setQuery('');
            }}
          >
            {p.displayName} <span className="hint">@{p.username}</span>
          </button>
        )}
      />
      <div className="dialog-actions">
        <button
          type="button"
          className="primary"
          disabled={chosen.length === 0 || busy}
          onClick={() => void start()}
        >
          {chosen.length > 1 ? 'Start group' : 'Start'}
        </button>
      </div>
    </Dialog>
  );
}
