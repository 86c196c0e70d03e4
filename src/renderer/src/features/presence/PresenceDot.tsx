import type { VisibleStatus } from '../../../../shared/protocol';
import { useStore } from '../../state/use-store';

/** What a dot can say: a status, or unknown while this app cannot hear the server. */
export type DotStatus = VisibleStatus | 'unknown';

const LABEL: Record<DotStatus, string> = {
  online: 'online',
  away: 'away',
  busy: 'busy',
  offline: 'offline',
  unknown: 'unknown while offline',
};

/** A status in words, as a sentence starts (cards and profiles). */
export const STATUS_WORDS: Record<DotStatus, string> = {
  online: 'Online',
  away: 'Away',
  busy: 'Busy',
  offline: 'Offline',
  unknown: 'Unknown while Parley is offline',
};

/** A coloured dot whose meaning is also said in words (colour alone is not enough). */
export function PresenceDot({ status }: { status: DotStatus }) {
  return (
    <span
      className={`dot dot-${status}`}
      role="img"
      aria-label={LABEL[status]}
      title={LABEL[status]}
    />
  );
}

/**
 * Someone's presence as the page may show it: while this app is not connected nobody is shown
 * online, or offline, from old news: their dot greys out as unknown (UX-3 gap 4).
 */
export function usePresenceOf(userId: string | undefined, fallback?: VisibleStatus): DotStatus {
  return useStore((s) => {
    if (s.status?.state !== 'online') return 'unknown';
    if (userId === undefined) return fallback ?? 'offline';
    return s.presence.get(userId)?.status ?? fallback ?? 'offline';
  });
}
