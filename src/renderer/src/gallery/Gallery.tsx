// The component gallery (issue 22): every piece of Parley's design system, drawn once per theme
// side by side, at /?gallery under `npm run web` (or any build of the page). Loaded only on that
// address, so it costs the app nothing. Nothing here talks to a server: the pieces are the real
// components with made-up words.
import { useState } from 'react';
import type { DensityChoice } from '../../../shared/ipc';
import { ToastRegion } from '../ui/Toast';
import { ToastContext, Toasts } from '../ui/toasts';
import { GallerySections } from './GallerySections';
import './Gallery.css';

const THEMES = [
  ['light', 'Light'],
  ['dark', 'Dark'],
  ['contrast', 'High contrast'],
] as const;

export function Gallery() {
  const [toasts] = useState(() => new Toasts());
  const [density, setDensity] = useState<DensityChoice>('comfortable');
  return (
    <ToastContext.Provider value={toasts}>
      {/* On the gallery itself, not <html>: trying compact here changes nobody's settings. */}
      <main className="gallery" data-density={density}>
        <header className="gallery-header">
          <h1>Parley components</h1>
          <p className="hint">
            Each column is one theme. Tab through any of them: every control is reachable and named.
          </p>
          <label className="choice">
            <input
              type="checkbox"
              checked={density === 'compact'}
              onChange={(e) => setDensity(e.target.checked ? 'compact' : 'comfortable')}
            />
            <span>Compact message density</span>
          </label>
        </header>
        <div className="gallery-themes">
          {THEMES.map(([theme, label]) => (
            <section
              key={theme}
              data-theme={theme}
              className="gallery-theme"
              aria-labelledby={`theme-${theme}`}
            >
              <h2 id={`theme-${theme}`}>{label}</h2>
              <GallerySections theme={theme} />
            </section>
          ))}
        </div>
        <ToastRegion />
      </main>
    </ToastContext.Provider>
  );
}
