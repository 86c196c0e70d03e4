// Settings → Appearance: the chosen theme goes on <html> as data-theme, which ui/tokens.css
// reads. "system" follows the OS: light or dark through color-scheme (no attribute), and high
// contrast when the OS asks for more contrast (followed as it changes).
import { useEffect } from 'react';
import type { DensityChoice, ThemeChoice } from '../../../shared/ipc';

const MORE_CONTRAST = '(prefers-contrast: more)';

export function useTheme(theme: ThemeChoice | undefined): void {
  useEffect(() => {
    const root = document.documentElement;
    if (theme && theme !== 'system') {
      root.dataset.theme = theme;
      return;
    }
    const query = window.matchMedia(MORE_CONTRAST);
    const follow = () => {
      if (query.matches) root.dataset.theme = 'contrast';
      else delete root.dataset.theme;
    };
    follow();
    query.addEventListener('change', follow);
    return () => query.removeEventListener('change', follow);
  }, [theme]);
}

/** Settings → Appearance → Message density, as data-density on <html> (ui/tokens.css). */
export function useDensity(density: DensityChoice | undefined): void {
  useEffect(() => {
    const root = document.documentElement;
    if (density === 'compact') root.dataset.density = 'compact';
    else delete root.dataset.density;
  }, [density]);
}
