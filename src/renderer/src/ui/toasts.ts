// Short-lived confirmations ("Copied"), shown by <ToastRegion> in the window's corner. A toast
// goes by itself after a few seconds; one that says something failed stays until dismissed
// (state/chat-store's notice, drawn by the same region). Bounded: only the newest few are kept.
import { createContext, useContext } from 'react';
import { toDisposable, type Disposable } from '../../../shared/lifecycle';

export interface ToastItem {
  id: number;
  text: string;
}

const KEPT = 3;
const TOAST_MS = 5000;

export class Toasts {
  private items: readonly ToastItem[] = [];
  private readonly listeners = new Set<() => void>();
  private next = 1;

  /** The toasts shown now, oldest first (a new array after each change, for React). */
  readonly list = (): readonly ToastItem[] => this.items;

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Shows `text`; disposing the result takes it away early. */
  show(text: string): Disposable {
    const item = { id: this.next++, text };
    this.items = [...this.items, item].slice(-KEPT);
    this.changed();
    const timer = setTimeout(() => this.dismiss(item.id), TOAST_MS);
    return toDisposable(() => {
      clearTimeout(timer);
      this.dismiss(item.id);
    });
  }

  dismiss(id: number): void {
    if (!this.items.some((t) => t.id === id)) return;
    this.items = this.items.filter((t) => t.id !== id);
    this.changed();
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}

export const ToastContext = createContext<Toasts | null>(null);

export function useToasts(): Toasts {
  const toasts = useContext(ToastContext);
  if (!toasts) throw new Error('useToasts outside ToastContext');
  return toasts;
}
