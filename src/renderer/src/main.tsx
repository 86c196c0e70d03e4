import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { getBridge } from './bridge';
import './ui/tokens.css';
import './styles.css';
import { loadEmojiFont } from './ui/emoji-font';
import { applyRememberedAppearance } from './ui/use-theme';

loadEmojiFont();
applyRememberedAppearance();

const root = createRoot(document.getElementById('root')!);
if (new URLSearchParams(location.search).has('gallery')) {
  // The component gallery (issue 22): its own chunk, fetched only here; no bridge needed.
  void import('./gallery/Gallery').then(({ Gallery }) =>
    root.render(
      <StrictMode>
        <Gallery />
      </StrictMode>,
    ),
  );
} else {
  // One bridge per page, made once (outside React, whose development mode runs setup twice).
  const bridge = getBridge();
  root.render(
    <StrictMode>
      <App bridge={bridge} />
    </StrictMode>,
  );
}
