// A small label: a count of what is unread (accent), or a role or state ("Creator", "Private").
import './Badge.css';

export function Badge({
  children,
  tone = 'neutral',
  label,
}: {
  children: string | number;
  /** accent: wants attention (unread, mentions); neutral: a plain fact. */
  tone?: 'accent' | 'neutral';
  /** What a screen reader says instead, when the text alone is unclear ("3 unread"). */
  label?: string;
}) {
  return (
    <span
      className={`badge badge-${tone}`}
      {...(label ? { 'aria-label': label, role: 'img' } : {})}
    >
      {children}
    </span>
  );
}
