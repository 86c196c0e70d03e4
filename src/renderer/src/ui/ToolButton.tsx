// A toolbar button: an icon and its name. The name is drawn beside the icon where there is room,
// and is the button's accessible name and tooltip everywhere (narrow windows draw only the icon,
// styles.css). IconButton: an icon alone, named the same way.
import { Icon, type IconName } from './Icon';

export function ToolButton({
  label,
  icon,
  onClick,
  disabled,
  pressed,
  className,
}: {
  label: string;
  icon: IconName;
  onClick: () => void;
  disabled?: boolean;
  /** A toggle's state (aria-pressed); left out for a plain action. */
  pressed?: boolean;
  className?: string;
}) {
  return (
    <button
      type="button"
      className={`tool ${className ?? ''}`}
      aria-label={label}
      title={label}
      disabled={disabled}
      aria-pressed={pressed}
      onClick={onClick}
    >
      <Icon name={icon} />
      <span className="tool-label">{label}</span>
    </button>
  );
}

export function IconButton({
  label,
  icon,
  onClick,
  className,
}: {
  label: string;
  icon: IconName;
  onClick: () => void;
  className?: string;
}) {
  return (
    <button
      type="button"
      className={`icon-button tool ${className ?? ''}`}
      aria-label={label}
      title={label}
      onClick={onClick}
    >
      <Icon name={icon} />
    </button>
  );
}
