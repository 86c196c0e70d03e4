// Window-wide keys (UX-3 gap 9, as Slack and Element have them): Ctrl/Cmd+K opens the switcher;
// Alt+Up/Down moves to the previous or next conversation in the sidebar's order, and
// Alt+Shift+Up/Down to the previous or next one with unread messages.
import { useEffect } from 'react';
import type { ChatStore, ConversationItem } from '../../state/chat-store';
import { sidebarOrder } from './Sidebar';

/** The conversation `step` away from `active` (wrapping), among those `eligible`. */
export function conversationAfter(
  order: readonly ConversationItem[],
  active: string | null | undefined,
  step: 1 | -1,
  eligible: (c: ConversationItem) => boolean = () => true,
): ConversationItem | undefined {
  const at = order.findIndex((c) => c.key === active);
  for (let i = 1; i <= order.length; i++) {
    const next = order[(((at + step * i) % order.length) + order.length) % order.length];
    if (next && next.key !== active && eligible(next)) return next;
  }
  return undefined;
}

export function useConversationKeys(store: ChatStore, openSwitcher: () => void): void {
  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === 'k') {
        e.preventDefault();
        openSwitcher();
      } else if (e.altKey && !e.ctrlKey && (e.key === 'ArrowUp' || e.key === 'ArrowDown')) {
        e.preventDefault();
        const { conversations, active } = store.getState();
        const next = conversationAfter(
          sidebarOrder(conversations),
          active,
          e.key === 'ArrowUp' ? -1 : 1,
          e.shiftKey ? (c) => c.unread > 0 : undefined,
        );
        if (next) void store.conversations.open(next.key);
      }
    }
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [store, openSwitcher]);
}
