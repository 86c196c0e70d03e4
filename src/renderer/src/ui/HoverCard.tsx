// A card of facts that appears to the left of its anchor (below it when there is no room) while the pointer rests on it or it has focus
// (after a short pause, so passing over a list opens nothing). It holds no controls: the anchor
// itself opens whatever can be done. Escape hides it. Announced as the anchor's description.
import { useEffect, useId, useRef, useState, type CSSProperties, type ReactNode } from 'react';
import './HoverCard.css';

const OPEN_AFTER_MS = 400;
const CARD_WIDTH = 260;

export function HoverCard({
  card,
  beside,
  children,
}: {
  card: ReactNode;
  /** A selector of the anchor's ancestor to open beside (the whole list, not over its row). */
  beside?: string;
  /** The anchor, given the id of the card that describes it. */
  children: (describedBy: string) => ReactNode;
}) {
  // Placed with fixed coordinates from the anchor: lists scroll, and would clip a card
  // positioned inside them.
  const [place, setPlace] = useState<CSSProperties | null>(null);
  const anchor = useRef<HTMLDivElement>(null);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const id = useId();
  useEffect(() => () => clearTimeout(timer.current), []);
  const show = () => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      const el = anchor.current;
      if (!el) return;
      const r = el.getBoundingClientRect();
      // Level with the anchor, beside its list's edge (or its own).
      const edge = ((beside && el.closest(beside)) || el).getBoundingClientRect().left;
      setPlace(
        // No room on the left (a narrow window's full-width list): below instead.
        edge > CARD_WIDTH + 16
          ? {
              top: Math.min(r.top, window.innerHeight - 220),
              right: window.innerWidth - edge + 8,
            }
          : {
              top: r.bottom + 4,
              left: Math.max(8, Math.min(r.left, window.innerWidth - CARD_WIDTH - 8)),
            },
      );
    }, OPEN_AFTER_MS);
  };
  const hide = () => {
    clearTimeout(timer.current);
    setPlace(null);
  };
  return (
    <div
      ref={anchor}
      className="hover-card-anchor"
      onPointerEnter={show}
      onPointerLeave={hide}
      onFocus={show}
      onBlur={hide}
      onKeyDown={(e) => e.key === 'Escape' && hide()}
    >
      {children(id)}
      {/* Always in the page (hidden until shown) so that aria-describedby has its text. */}
      <div id={id} className="hover-card" hidden={!place} style={place ?? undefined}>
        {card}
      </div>
    </div>
  );
}
