// The message list as one tab stop (UX-3 gap 9, as Slack and Element do it): Tab lands on one
// message; Up and Down move between messages, Right and Left between the focused message's
// buttons and links, Home and End to the first and last shown, Escape back to the message and
// then to the composer. Without this, Shift+Tab from the composer walked 3 to 5 buttons per
// message.
//
// Plain DOM, not React state: the list is virtual (react-virtuoso mounts rows as they scroll in),
// so the tab order is re-applied whenever rows change, and a move past the rendered rows scrolls.

/** Focusable things inside a message that are not its own editor. */
const INNER = 'button, a[href], summary, [tabindex]:not(article)';
const EXCLUDED = 'form, dialog';

function messages(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>('article.message')];
}

function innerOf(message: HTMLElement): HTMLElement[] {
  return [...message.querySelectorAll<HTMLElement>(INNER)].filter(
    (el) => !el.closest(EXCLUDED) && !(el as HTMLButtonElement).disabled,
  );
}

/**
 * Keeps exactly one message in the tab order (the last one focused, else the newest shown) and
 * everything inside messages out of it. Returns a function that stops watching.
 */
export function rovingTabOrder(root: HTMLElement, current: () => string | undefined): () => void {
  const apply = () => {
    // The scroller is not a stop of its own: Page Up/Down scroll it from a focused message.
    const scroller = root.querySelector<HTMLElement>('[data-virtuoso-scroller]');
    if (scroller && scroller.getAttribute('tabindex') !== '-1')
      scroller.setAttribute('tabindex', '-1');
    const all = messages(root);
    const chosen =
      all.find((m) => m.dataset.messageId === current() && current() !== undefined) ?? all.at(-1);
    for (const m of all) {
      const want = m === chosen ? '0' : '-1';
      if (m.getAttribute('tabindex') !== want) m.setAttribute('tabindex', want);
      for (const el of innerOf(m)) {
        if (el.getAttribute('tabindex') !== '-1') el.setAttribute('tabindex', '-1');
      }
    }
  };
  apply();
  const watcher = new MutationObserver(apply);
  watcher.observe(root, { childList: true, subtree: true });
  return () => watcher.disconnect();
}

/** Moves focus for one key press; answers whether it handled the key. */
export function rovingKey(
  root: HTMLElement,
  key: string,
  target: HTMLElement,
  scroll: (by: number) => void,
  toComposer: () => void,
): boolean {
  const message = target.closest<HTMLElement>('article.message');
  if (!message || !root.contains(message) || target.closest(EXCLUDED)) return false;
  const onMessage = target === message;
  const all = messages(root);
  const at = all.indexOf(message);
  const focusMessage = (m: HTMLElement | undefined) => {
    if (!m) return false;
    m.focus();
    m.scrollIntoView({ block: 'nearest' });
    return true;
  };
  const step = (by: 1 | -1) => {
    if (focusMessage(all[at + by])) return;
    // Past the rows rendered: scroll that way, and take the next one once it is there.
    scroll(by * 300);
    requestAnimationFrame(() => {
      const now = messages(root);
      focusMessage(now[now.indexOf(message) + by]);
    });
  };
  switch (key) {
    case 'ArrowUp':
      step(-1);
      return true;
    case 'ArrowDown':
      step(1);
      return true;
    case 'Home':
      return focusMessage(all[0]);
    case 'End':
      return focusMessage(all.at(-1));
    case 'ArrowRight':
    case 'ArrowLeft': {
      const inner = innerOf(message);
      const i = onMessage ? -1 : inner.indexOf(target);
      const next = key === 'ArrowRight' ? i + 1 : i - 1;
      if (next < 0) return focusMessage(message);
      inner[Math.min(next, inner.length - 1)]?.focus();
      return true;
    }
    case 'Escape':
      if (onMessage) toComposer();
      else focusMessage(message);
      return true;
    default:
      return false;
  }
}
