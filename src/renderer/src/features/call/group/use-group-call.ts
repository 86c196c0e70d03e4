import { createContext, useContext, useSyncExternalStore } from 'react';
import type { GroupCallStore, GroupCallView } from './group-call-store';

export const GroupCallContext = createContext<GroupCallStore | null>(null);

export function useGroupCallStore(): GroupCallStore {
  const store = useContext(GroupCallContext);
  if (!store) throw new Error('useGroupCallStore outside GroupCallContext');
  return store;
}

export function useGroupCall(): GroupCallView {
  const store = useGroupCallStore();
  return useSyncExternalStore(store.subscribe, store.getView);
}
