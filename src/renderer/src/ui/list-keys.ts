// The keys of a list chosen from a text field (a combobox): Up and Down move the choice, kept
// inside the list; Enter takes it. Answers whether the key was one of these.
import type { KeyboardEvent } from 'react';

export function listKeys(
  e: KeyboardEvent,
  list: { count: number; chosen: number; choose: (index: number) => void; take: () => void },
): boolean {
  const last = Math.max(0, list.count - 1);
  if (e.key === 'ArrowDown') list.choose(Math.min(list.chosen + 1, last));
  else if (e.key === 'ArrowUp') list.choose(Math.max(list.chosen - 1, 0));
  else if (e.key === 'Enter') list.take();
  else return false;
  e.preventDefault();
  return true;
}
