// A small label: a count of what is unread (accent), or a role or state ("Creator", "Private").
// What it means is said by what holds it (a conversation row's name says "3 unread").
import './Badge.css';

export function Badge({
  children,
  tone = 'neutral',
}: {
  children: string | number;
  /** accent: wants attention (unread, mentions); neutral: a plain fact. */
  tone?: 'accent' | 'neutral';
}) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}
