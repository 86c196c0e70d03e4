// Opening a link from a message: the main process checks it (http, https, mailto only) and opens
// it outside the app; in a browser the page opens it after the same check.
import { useCallback } from 'react';
import { useChatStore, useStore } from '../../state/use-store';
import type { LinkOpener } from './MessageText';

export function useOpenLink(): LinkOpener {
  const store = useChatStore();
  const platform = useStore((s) => s.info?.platform);
  return useCallback(
    (href: string) => {
      void store.attempt(async () => {
        const r = await store.invoke('shell:openExternal', { url: href });
        if (!r.opened) throw new Error(`That link was not opened: ${r.reason ?? 'not allowed'}.`);
        if (platform === 'web') window.open(href, '_blank', 'noopener,noreferrer');
      });
    },
    [store, platform],
  );
}
