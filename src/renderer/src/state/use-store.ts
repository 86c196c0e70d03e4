// React's view of the ChatStore: one store for the window, read through selectors.
import { createContext, useContext, useSyncExternalStore } from 'react';
import type { ChatState, ChatStore } from './chat-store';

export const StoreContext = createContext<ChatStore | null>(null);

export function useChatStore(): ChatStore {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useChatStore outside StoreContext');
  return store;
}

/** A slice of the state; the component renders again only when that slice changes (Object.is). */
export function useStore<T>(select: (s: ChatState) => T): T {
  const store = useChatStore();
  return useSyncExternalStore(store.subscribe, () => select(store.getState()));
}
