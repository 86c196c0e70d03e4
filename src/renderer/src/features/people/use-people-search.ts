// People on the server whose name or username matches what is typed, asked once typing pauses
// (the quick switcher, "Add people" and "New message" all look people up this way).
import { useEffect, useState } from 'react';
import type { PersonSummary } from '../../../../shared/protocol';
import { describe } from '../../state/chat-store';
import { useChatStore } from '../../state/use-store';

const PAUSE_MS = 200;

export function usePeopleSearch(query: string): {
  people: PersonSummary[];
  problem: string | null;
} {
  const store = useChatStore();
  const [people, setPeople] = useState<PersonSummary[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    const text = query.trim();
    if (!text) return;
    let live = true;
    const timer = setTimeout(() => {
      store.search
        .people(text)
        .then((list) => {
          if (!live) return;
          setPeople(list);
          setProblem(null);
        })
        .catch((err: unknown) => live && setProblem(describe(err).message));
    }, PAUSE_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [query, store]);
  return { people: query.trim() ? people : [], problem };
}
