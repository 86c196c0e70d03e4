// The corner where toasts appear: confirmations that go by themselves, announced politely, and
// the one failure notice, announced at once and kept until dismissed.
import { useSyncExternalStore } from 'react';
import { Icon } from './Icon';
import { useToasts } from './toasts';
import './Toast.css';

export function Toast({
  text,
  tone,
  onDismiss,
}: {
  text: string;
  tone: 'info' | 'error';
  onDismiss: () => void;
}) {
  return (
    <div className={`toast toast-${tone}`} role={tone === 'error' ? 'alert' : undefined}>
      <span className="toast-text">{text}</span>
      <button type="button" className="icon-button tool" aria-label="Dismiss" onClick={onDismiss}>
        <Icon name="close" />
      </button>
    </div>
  );
}

export function ToastRegion({
  failure,
  onDismissFailure,
}: {
  failure?: string | undefined;
  onDismissFailure?: () => void;
}) {
  const toasts = useToasts();
  const items = useSyncExternalStore(toasts.subscribe, toasts.list);
  return (
    <div className="toast-region">
      {/* Polite: a confirmation waits for the screen reader to finish what it is saying. */}
      <div role="status" className="toast-stack">
        {items.map((t) => (
          <Toast key={t.id} text={t.text} tone="info" onDismiss={() => toasts.dismiss(t.id)} />
        ))}
      </div>
      {failure && <Toast text={failure} tone="error" onDismiss={() => onDismissFailure?.()} />}
    </div>
  );
}
