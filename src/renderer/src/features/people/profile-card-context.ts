// Who may open a profile card: any name or avatar on screen (UX-3 gap 8). The workspace holds
// the one card shown and provides this; outside it (a test's lone component) clicks do nothing.
import { createContext, useContext } from 'react';

export interface PersonRef {
  userId: string;
  displayName: string;
}

export const ProfileCardContext = createContext<(person: PersonRef) => void>(() => undefined);

export function useOpenProfile(): (person: PersonRef) => void {
  return useContext(ProfileCardContext);
}
