// "Add people" to a group (UX-3 gap 7): find someone by name and add them (the server allows
// those you already share a group or a conversation with), or make an invite link for anyone
// else, valid 7 days.
import { useEffect, useState } from 'react';
import { formatInviteLink } from '../../../../shared/invite-link';
import { describe } from '../../state/chat-store';
import { useChatStore, useStore } from '../../state/use-store';
import { Dialog } from '../../ui/Dialog';
import { useToasts } from '../../ui/toasts';
import { PeopleFinder } from '../people/PeopleFinder';

export function AddPeopleDialog({ group, onClose }: { group: string; onClose: () => void }) {
  const store = useChatStore();
  const members = useStore((s) => s.members.get(group));
  const [query, setQuery] = useState('');
  const [added, setAdded] = useState<string[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const isMember = (id: string) => members?.some((m) => m.user_id === id) ?? false;
  return (
    <Dialog title={`Add people to #${group}`} onClose={onClose}>
      <PeopleFinder
        label="Name or username"
        placeholder="Who should join?"
        query={query}
        onQuery={setQuery}
        problem={problem}
        render={(p) => (
          <>
            <span>
              {p.displayName} <span className="hint">@{p.username}</span>
            </span>
            {added.includes(p.user_id) || isMember(p.user_id) ? (
              <span className="hint">{added.includes(p.user_id) ? 'Added' : 'Member'}</span>
            ) : (
              <button
                type="button"
                className="secondary small"
                aria-label={`Add ${p.displayName}`}
                onClick={() => {
                  setProblem(null);
                  store.members
                    .add(group, p.user_id)
                    .then(() => setAdded((list) => [...list, p.user_id]))
                    .catch((err: unknown) => setProblem(describe(err).message));
                }}
              >
                Add
              </button>
            )}
          </>
        )}
      />
      <InviteLink group={group} />
    </Dialog>
  );
}

/** A fresh invite link for the group (valid 7 days), made when asked for, to copy and send. */
function InviteLink({ group }: { group: string }) {
  const store = useChatStore();
  const accountId = useStore((s) => s.accountId)!;
  const serverUrl = useStore((s) => s.accounts.find((a) => a.id === s.accountId)?.serverUrl);
  const [wanted, setWanted] = useState(false);
  const [link, setLink] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const toasts = useToasts();
  useEffect(() => {
    if (!serverUrl || !wanted) return;
    let live = true;
    store
      .invoke('groups:invite', { accountId, group })
      .then((r) => live && setLink(formatInviteLink({ server: serverUrl, group, invite: r.code })))
      .catch((err: unknown) => live && setProblem(describe(err).message));
    return () => {
      live = false;
    };
  }, [store, accountId, group, serverUrl, wanted]);
  return (
    <section className="invite-link" aria-label="Invite with a link">
      <h3>Or invite with a link</h3>
      <p className="hint">
        Anyone with the link can join #{group} for the next 7 days. Send it only to the people you
        mean to invite.
      </p>
      {!wanted && (
        <button type="button" className="secondary" onClick={() => setWanted(true)}>
          Make an invite link
        </button>
      )}
      {link && (
        <label>
          Invite link
          <input readOnly value={link} onFocus={(e) => e.target.select()} autoFocus />
        </label>
      )}
      {problem && (
        <p role="alert" className="form-error">
          {problem}
        </p>
      )}
      {wanted && !link && !problem && <p aria-busy="true">Making a link…</p>}
      {link && (
        <button
          type="button"
          className="primary"
          onClick={() =>
            void navigator.clipboard
              .writeText(link)
              .then(() => {
                setCopied(true);
                toasts.show('Invite link copied. Paste it to the people you invite.');
              })
              .catch(() => setProblem('Copying failed: select the link and copy it yourself.'))
          }
        >
          {copied ? 'Copied' : 'Copy link'}
        </button>
      )}
    </section>
  );
}
