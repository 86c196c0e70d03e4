// Settings → Appearance: the chosen theme goes on <html> as data-theme, which ui/tokens.css
// reads. "system" follows the OS: light or dark through color-scheme (no attribute), and high
// contrast when the OS asks for more contrast (followed as it changes). The density goes on
// <html> as data-density.
//
// The settings live in the desktop, which the page hears from only after it starts: the last
// choices are also kept in the page's storage and applied before the first frame, so a dark or
// compact Parley does not flash light and comfortable at every start.
import { useEffect } from 'react';
import {
  DENSITY_CHOICES,
  THEME_CHOICES,
  type DensityChoice,
  type ThemeChoice,
} from '../../../shared/ipc';

const MORE_CONTRAST = '(prefers-contrast: more)';
const KEY = 'parley.appearance';

interface Appearance {
  theme?: ThemeChoice;
  density?: DensityChoice;
}

/** The last choices this page saw (checked: the storage is anyone's to write). */
function remembered(): Appearance {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Record<string, unknown>;
    const theme = THEME_CHOICES.find((t) => t === v.theme);
    const density = DENSITY_CHOICES.find((d) => d === v.density);
    return { ...(theme ? { theme } : {}), ...(density ? { density } : {}) };
  } catch {
    return {};
  }
}

function remember(patch: Appearance): void {
  try {
    localStorage.setItem(KEY, JSON.stringify({ ...remembered(), ...patch }));
  } catch {
    // Storage full or refused: the next start flashes the default look, nothing worse.
  }
}

function applyTheme(theme: ThemeChoice): void {
  const root = document.documentElement;
  if (theme !== 'system') root.dataset.theme = theme;
  else if (window.matchMedia(MORE_CONTRAST).matches) root.dataset.theme = 'contrast';
  else delete root.dataset.theme;
}

function applyDensity(density: DensityChoice): void {
  const root = document.documentElement;
  if (density === 'compact') root.dataset.density = 'compact';
  else delete root.dataset.density;
}

/** Before the first render: the look the user last chose. */
export function applyRememberedAppearance(): void {
  const { theme, density } = remembered();
  applyTheme(theme ?? 'system');
  applyDensity(density ?? 'comfortable');
}

/** `theme` is undefined until the desktop's settings arrive: the remembered choice holds. */
export function useTheme(theme: ThemeChoice | undefined): void {
  const chosen = theme ?? remembered().theme ?? 'system';
  useEffect(() => {
    if (theme) remember({ theme });
  }, [theme]);
  useEffect(() => {
    applyTheme(chosen);
    if (chosen !== 'system') return;
    const query = window.matchMedia(MORE_CONTRAST);
    const follow = () => applyTheme('system');
    query.addEventListener('change', follow);
    return () => query.removeEventListener('change', follow);
  }, [chosen]);
}

/** Settings → Appearance → Message density (undefined until the settings arrive). */
export function useDensity(density: DensityChoice | undefined): void {
  useEffect(() => {
    if (!density) return;
    remember({ density });
    applyDensity(density);
  }, [density]);
}
