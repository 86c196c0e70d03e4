// In a browser (the web host), the core cannot raise native notifications: it pushes
// notification:show and the page raises it with the Notification API. In Electron the main
// process shows them natively and never pushes this event.
import type { ParleyBridge } from '../../../../shared/ipc';

/** Subscribes; returns the unsubscribe. `openConversation` runs when a notification is clicked. */
export function showBrowserNotifications(
  bridge: ParleyBridge,
  openConversation: (accountId: string, conversation: string) => void,
): () => void {
  return bridge.on('notification:show', (n) => {
    if (typeof Notification === 'undefined') return;
    const show = () => {
      const note = new Notification(n.title, {
        body: n.body,
        tag: `${n.accountId}|${n.conversation}`,
      });
      note.onclick = () => {
        window.focus();
        openConversation(n.accountId, n.conversation);
        note.close();
      };
    };
    if (Notification.permission === 'granted') show();
    else if (Notification.permission === 'default') {
      void Notification.requestPermission().then((p) => p === 'granted' && show());
    }
  });
}
