// Screen sharing in Electron: getDisplayMedia reaches setDisplayMediaRequestHandler, which lists
// the screens and windows with desktopCapturer and asks the page to pick one (`screen:choose`);
// the page's answer (`screen:chosen`) grants that source, or nothing. A request nobody answers
// in a minute is refused.
import { randomUUID } from 'node:crypto';
import { desktopCapturer, type Session } from 'electron';
import type { DesktopCore } from '../core/desktop-core.js';

const ANSWER_WITHIN_MS = 60_000;

type Grant = (streams: Electron.Streams | null) => void;

export function serveScreenPicker(session: Session, core: () => DesktopCore | undefined) {
  const pending = new Map<
    string,
    { grant: Grant; sources: Electron.DesktopCapturerSource[]; timer: NodeJS.Timeout }
  >();
  session.setDisplayMediaRequestHandler((_request, grant) => {
    void desktopCapturer
      .getSources({ types: ['screen', 'window'], thumbnailSize: { width: 320, height: 180 } })
      .then((sources) => {
        const requestId = randomUUID();
        const timer = setTimeout(() => answer(requestId, null), ANSWER_WITHIN_MS);
        pending.set(requestId, { grant, sources, timer });
        core()?.push('screen:choose', {
          requestId,
          sources: sources.map((s) => ({
            id: s.id,
            name: s.name,
            kind: s.id.startsWith('screen:') ? 'screen' : 'window',
            thumbnail: s.thumbnail.toDataURL(),
          })),
        });
      })
      .catch(() => grant({}));
  });

  function answer(requestId: string, sourceId: string | null): boolean {
    const p = pending.get(requestId);
    if (!p) return false;
    pending.delete(requestId);
    clearTimeout(p.timer);
    const source = sourceId ? p.sources.find((s) => s.id === sourceId) : undefined;
    // Only a source from the list this request offered: the page cannot name another.
    p.grant(source ? { video: source } : {});
    return source !== undefined;
  }
  return answer;
}
