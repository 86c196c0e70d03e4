// Grey shapes where content is still loading: the layout holds still when it arrives, and
// the page says it is busy (aria-busy on the region, one "Loading…" for screen readers).
import './Skeleton.css';

/** Placeholder rows shaped like messages (an avatar, a name, a line or two of text). */
export function MessageSkeleton({ rows = 4, label }: { rows?: number; label: string }) {
  return (
    <div className="skeleton-list" aria-busy="true">
      <span className="visually-hidden" role="status">
        {label}
      </span>
      {Array.from({ length: rows }, (_, i) => (
        <div key={i} className="skeleton-message" aria-hidden="true">
          <span className="skeleton skeleton-avatar" />
          <span className="skeleton-lines">
            <span className="skeleton skeleton-line" style={{ width: '22%' }} />
            <span
              className="skeleton skeleton-line"
              style={{ width: `${55 + ((i * 23) % 40)}%` }}
            />
          </span>
        </div>
      ))}
    </div>
  );
}

/** Placeholder rows shaped like people (an avatar and a name). */
export function PeopleSkeleton({ rows = 3, label }: { rows?: number; label: string }) {
  return (
    <div className="skeleton-list" aria-busy="true">
      <span className="visually-hidden" role="status">
        {label}
      </span>
      {Array.from({ length: rows }, (_, i) => (
        <div key={i} className="skeleton-person" aria-hidden="true">
          <span className="skeleton skeleton-avatar small" />
          <span className="skeleton skeleton-line" style={{ width: `${40 + ((i * 17) % 35)}%` }} />
        </div>
      ))}
    </div>
  );
}
