import type { VisibleStatus } from '../../../../shared/protocol';

const LABEL: Record<VisibleStatus, string> = {
  online: 'online',
  away: 'away',
  busy: 'busy',
  offline: 'offline',
};

/** A coloured dot whose meaning is also said in words (colour alone is not enough). */
export function PresenceDot({ status }: { status: VisibleStatus }) {
  return (
    <span
      className={`dot dot-${status}`}
      role="img"
      aria-label={LABEL[status]}
      title={LABEL[status]}
    />
  );
}
