import { createContext, useContext, useSyncExternalStore } from 'react';
import type { CallStore, CallView } from './call-store';

export const CallContext = createContext<CallStore | null>(null);

export function useCallStore(): CallStore {
  const store = useContext(CallContext);
  if (!store) throw new Error('useCallStore outside CallContext');
  return store;
}

export function useCall(): CallView {
  const store = useCallStore();
  return useSyncExternalStore(store.subscribe, store.getView);
}
