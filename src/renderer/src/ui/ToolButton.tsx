// A toolbar button: an icon and its name. The name is drawn beside the icon where there is room
// and kept for screen readers and the tooltip where there is not (narrow windows, styles.css).
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
