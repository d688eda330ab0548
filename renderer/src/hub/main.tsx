import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '../common/styles/base.css';
import './hub.css';
import { App } from './App.js';
import { initI18n } from '../common/i18n/index.js';
import de from './de.json';
import en from './en.json';

// The dashboard's own texts, with the station app's language choice.
initI18n({ de, en }, { flatKeys: true });
const root = document.getElementById('root');
if (!root) throw new Error('hub.html has no #root');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
