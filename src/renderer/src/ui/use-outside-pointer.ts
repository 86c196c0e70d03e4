// A popup that closes when the pointer goes down anywhere outside it (menus, the account's panel).
import { useEffect, type RefObject } from 'react';

export function useOutsidePointer(
  inside: RefObject<HTMLElement | null>,
  open: boolean,
  /** The popup's state setter (stable, so the listener is added once per opening). */
  setOpen: (open: boolean) => void,
): void {
  useEffect(() => {
    if (!open) return;
    const away = (e: PointerEvent) => {
      if (!inside.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('pointerdown', away);
    return () => document.removeEventListener('pointerdown', away);
  }, [inside, open, setOpen]);
}
