// Grey shapes where content is still loading: the layout holds still when it arrives, and
// the page says it is busy (aria-busy on the region, one "Loading…" for screen readers).
import type { ReactNode } from 'react';
import './Skeleton.css';

function SkeletonList({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="skeleton-list" aria-busy="true">
      <span className="visually-hidden" role="status">
        {label}
      </span>
      {children}
    </div>
  );
}

/** A stable, varied width for placeholder line `i` (no randomness: no jumping on re-render). */
const width = (i: number, from: number, spread: number, step: number) =>
  `${from + ((i * step) % spread)}%`;

/** Placeholder rows shaped like messages (an avatar, a name, a line or two of text). */
export function MessageSkeleton({ rows = 4, label }: { rows?: number; label: string }) {
  return (
    <SkeletonList label={label}>
      {Array.from({ length: rows }, (_, i) => (
        <div key={i} className="skeleton-message" aria-hidden="true">
          <span className="skeleton skeleton-avatar" />
          <span className="skeleton-lines">
            <span className="skeleton skeleton-line" style={{ width: '22%' }} />
            <span className="skeleton skeleton-line" style={{ width: width(i, 55, 40, 23) }} />
          </span>
        </div>
      ))}
    </SkeletonList>
  );
}

/** Placeholder rows shaped like people (an avatar and a name). */
export function PeopleSkeleton({ rows = 3, label }: { rows?: number; label: string }) {
  return (
    <SkeletonList label={label}>
      {Array.from({ length: rows }, (_, i) => (
        <div key={i} className="skeleton-person" aria-hidden="true">
          <span className="skeleton skeleton-avatar small" />
          <span className="skeleton skeleton-line" style={{ width: width(i, 40, 35, 17) }} />
        </div>
      ))}
    </SkeletonList>
  );
}
