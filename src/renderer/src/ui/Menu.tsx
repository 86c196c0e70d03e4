// A menu button (WAI-ARIA menu pattern): the button opens a list of actions; Up and Down move
// between them, Home and End jump, Enter or Space takes one, Escape or a click elsewhere closes
// it and gives focus back to the button.
import { useEffect, useId, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { useOutsidePointer } from './use-outside-pointer';

export interface MenuAction {
  label: string;
  run: () => void;
  /** Drawn in the danger colour (Leave, Delete). */
  danger?: boolean;
}

export function Menu({
  label,
  icon,
  actions,
}: {
  /** The button's accessible name and tooltip ("More actions"). */
  label: string;
  icon: ReactNode;
  actions: MenuAction[];
}) {
  const [open, setOpen] = useState(false);
  const menuId = useId();
  const button = useRef<HTMLButtonElement>(null);
  const list = useRef<HTMLUListElement>(null);
  const anchor = useRef<HTMLDivElement>(null);
  useOutsidePointer(anchor, open, setOpen);
  useEffect(() => {
    if (open) list.current?.querySelector<HTMLElement>('[role=menuitem]')?.focus();
  }, [open]);

  function close() {
    setOpen(false);
    button.current?.focus();
  }
  function onKey(e: KeyboardEvent<HTMLUListElement>) {
    const items = [...(list.current?.querySelectorAll<HTMLElement>('[role=menuitem]') ?? [])];
    const at = items.indexOf(document.activeElement as HTMLElement);
    const go = (i: number) => items[(i + items.length) % items.length]?.focus();
    if (e.key === 'ArrowDown') go(at + 1);
    else if (e.key === 'ArrowUp') go(at - 1);
    else if (e.key === 'Home') go(0);
    else if (e.key === 'End') go(items.length - 1);
    else if (e.key === 'Escape') close();
    else if (e.key === 'Tab') setOpen(false);
    else return;
    if (e.key !== 'Tab') e.preventDefault();
  }
  return (
    <div ref={anchor} className="menu-anchor">
      <button
        ref={button}
        type="button"
        className="icon-button tool"
        aria-label={label}
        title={label}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        onClick={() => setOpen((o) => !o)}
      >
        {icon}
      </button>
      {open && (
        <ul
          ref={list}
          id={menuId}
          role="menu"
          aria-label={label}
          className="menu"
          onKeyDown={onKey}
        >
          {actions.map((a) => (
            <li key={a.label} role="none">
              <button
                type="button"
                role="menuitem"
                tabIndex={-1}
                className={a.danger ? 'danger' : undefined}
                onClick={() => {
                  close();
                  a.run();
                }}
              >
                {a.label}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
