import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { getBridge } from './bridge';
import './ui/tokens.css';
import './styles.css';
import { loadEmojiFont } from './ui/emoji-font';

loadEmojiFont();

// One bridge per page, made once (outside React, whose development mode runs setup twice).
const bridge = getBridge();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App bridge={bridge} />
  </StrictMode>,
);
