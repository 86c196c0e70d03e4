// A modal dialog on the platform's <dialog>: focus is kept inside, Escape closes it, and the page
// behind is inert, with no focus-trap code of our own. Every dialog has one layout: a title row
// with a close button, a body that scrolls, and an optional footer of actions (right-aligned,
// the main one last).
import { useEffect, useRef, type ReactNode } from 'react';
import { Icon } from './Icon';
import './Dialog.css';

export function Dialog({
  title,
  onClose,
  children,
  footer,
  className,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  /** The dialog's actions, kept in view below the scrolling body. */
  footer?: ReactNode;
  className?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const closeRef = useRef(onClose);
  useEffect(() => {
    closeRef.current = onClose;
  });
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    dialog.showModal();
    // showModal focuses the first focusable element (the close button); a dialog can name a
    // better first stop with data-autofocus (React's autoFocus runs before showModal).
    dialog.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    const closed = () => closeRef.current();
    dialog.addEventListener('close', closed);
    return () => {
      dialog.removeEventListener('close', closed);
      if (dialog.open) dialog.close();
    };
  }, []);
  const titleId = `dialog-${title.replace(/\W+/g, '-').toLowerCase()}`;
  return (
    <dialog ref={ref} aria-labelledby={titleId} className={`dialog ${className ?? ''}`}>
      <header className="dialog-header">
        <h2 id={titleId}>{title}</h2>
        <button
          type="button"
          className="icon-button tool"
          aria-label="Close"
          title="Close"
          onClick={() => ref.current?.close()}
        >
          <Icon name="close" size={18} />
        </button>
      </header>
      <div className="dialog-body">{children}</div>
      {footer && <footer className="dialog-footer">{footer}</footer>}
    </dialog>
  );
}
