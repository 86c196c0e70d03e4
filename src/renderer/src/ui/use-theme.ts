// Settings → Appearance: the chosen theme goes on <html> as data-theme, which styles.css reads
// (light-dark() colours follow color-scheme). "system" removes it, so the OS decides.
import { useEffect } from 'react';
import type { ThemeChoice } from '../../../shared/ipc';

export function useTheme(theme: ThemeChoice | undefined): void {
  useEffect(() => {
    const root = document.documentElement;
    if (!theme || theme === 'system') delete root.dataset.theme;
    else root.dataset.theme = theme;
  }, [theme]);
}
