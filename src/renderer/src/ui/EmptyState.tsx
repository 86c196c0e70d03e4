// An empty place says what would be here and offers the one thing to do about it.
import type { ReactNode } from 'react';
import { Icon, type IconName } from './Icon';
import './EmptyState.css';

export function EmptyState({
  icon,
  title,
  titleAs: Title = 'p',
  children,
  action,
}: {
  icon: IconName;
  title: string;
  /** The title's element: h1 when the empty state is the whole page. */
  titleAs?: 'h1' | 'h2' | 'p';
  children?: ReactNode;
  /** The one clear next step ("Browse groups"); a button or a link. */
  action?: ReactNode;
}) {
  return (
    <div className="empty-state">
      <span className="empty-icon">
        <Icon name={icon} size={28} />
      </span>
      <Title className="empty-title">{title}</Title>
      {children && <div className="empty-text">{children}</div>}
      {action && <div className="empty-action">{action}</div>}
    </div>
  );
}
