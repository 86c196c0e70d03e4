// Tabs (WAI-ARIA tabs pattern, automatic activation): one tab stop for the row, Left and Right
// move between tabs and show each, Home and End jump. Only the chosen panel is drawn.
import { useId, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import './Tabs.css';

export interface Tab {
  id: string;
  label: string;
  content: ReactNode;
}

export function Tabs({
  label,
  tabs,
  initial,
}: {
  /** The tab row's accessible name ("Settings sections"). */
  label: string;
  tabs: readonly Tab[];
  initial?: string;
}) {
  const [chosen, setChosen] = useState(initial ?? tabs[0]?.id);
  const row = useRef<HTMLDivElement>(null);
  const base = useId();
  const current = tabs.find((t) => t.id === chosen) ?? tabs[0];

  function onKey(e: KeyboardEvent<HTMLDivElement>) {
    const at = tabs.findIndex((t) => t.id === current?.id);
    const to =
      e.key === 'ArrowRight'
        ? (at + 1) % tabs.length
        : e.key === 'ArrowLeft'
          ? (at - 1 + tabs.length) % tabs.length
          : e.key === 'Home'
            ? 0
            : e.key === 'End'
              ? tabs.length - 1
              : -1;
    if (to < 0) return;
    e.preventDefault();
    setChosen(tabs[to]!.id);
    row.current?.querySelectorAll<HTMLElement>('[role=tab]')[to]?.focus();
  }

  return (
    <div className="tabs">
      <div ref={row} role="tablist" aria-label={label} className="tab-row" onKeyDown={onKey}>
        {tabs.map((t) => {
          const selected = t.id === current?.id;
          return (
            <button
              key={t.id}
              type="button"
              role="tab"
              id={`${base}-tab-${t.id}`}
              aria-selected={selected}
              aria-controls={`${base}-panel-${t.id}`}
              tabIndex={selected ? 0 : -1}
              className="tab"
              onClick={() => setChosen(t.id)}
            >
              {t.label}
            </button>
          );
        })}
      </div>
      {current && (
        <div
          role="tabpanel"
          id={`${base}-panel-${current.id}`}
          aria-labelledby={`${base}-tab-${current.id}`}
          className="tab-panel"
          tabIndex={0}
        >
          {current.content}
        </div>
      )}
    </div>
  );
}
