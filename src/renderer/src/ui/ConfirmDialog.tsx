// Parley's own "are you sure?" (never the browser's confirm(), which looks foreign, blocks the
// page and cannot be styled): a title, what will happen, and the action named on its button.
// Rendered into <body>: opened from a message's actions, it must not live inside a row the
// virtual list may unmount, nor under the faded-out action bar.
import { createPortal } from 'react-dom';
import { Dialog } from './Dialog';

export function ConfirmDialog({
  title,
  body,
  action,
  onConfirm,
  onClose,
}: {
  title: string;
  body: string;
  /** The button's words: "Delete", "Leave" (never "OK"). */
  action: string;
  onConfirm: () => void;
  onClose: () => void;
}) {
  return createPortal(
    <Dialog title={title} onClose={onClose} className="confirm">
      <p>{body}</p>
      <div className="dialog-actions">
        <button type="button" className="secondary" data-autofocus onClick={onClose}>
          Cancel
        </button>
        <button
          type="button"
          className="danger-button"
          onClick={() => {
            onConfirm();
            onClose();
          }}
        >
          {action}
        </button>
      </div>
    </Dialog>,
    document.body,
  );
}
