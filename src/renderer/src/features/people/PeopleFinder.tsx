// A field that finds people on the server by name as you type, and lists them, each with what the
// dialog offers for them ("Add", or a button that picks them). "Add people" and "New message"
// both use it.
import type { ReactNode } from 'react';
import type { PersonSummary } from '../../../../shared/protocol';
import { usePeopleSearch } from './use-people-search';

export function PeopleFinder({
  label,
  placeholder,
  query,
  onQuery,
  problem,
  hide,
  render,
}: {
  label: string;
  placeholder: string;
  query: string;
  onQuery: (query: string) => void;
  /** The dialog's own failure (an add refused, say), shown where the search's would be. */
  problem: string | null;
  /** People not to offer (already chosen, the user themselves). */
  hide?: (p: PersonSummary) => boolean;
  render: (p: PersonSummary) => ReactNode;
}) {
  const search = usePeopleSearch(query);
  const offered = hide ? search.people.filter((p) => !hide(p)) : search.people;
  const shown = search.problem ?? problem;
  return (
    <>
      <label>
        {label}
        <input
          type="search"
          value={query}
          data-autofocus
          placeholder={placeholder}
          onChange={(e) => onQuery(e.target.value)}
        />
      </label>
      {shown && (
        <p role="alert" className="form-error">
          {shown}
        </p>
      )}
      {query.trim() && (
        <ul className="people-results" aria-label="People found">
          {offered.map((p) => (
            <li key={p.user_id}>{render(p)}</li>
          ))}
          {offered.length === 0 && <li className="hint">Nobody found yet.</li>}
        </ul>
      )}
    </>
  );
}
