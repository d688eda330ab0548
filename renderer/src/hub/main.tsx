import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '../common/styles/base.css';
import './hub.css';
import { App } from './App.js';
import { initHubI18n } from './i18n.js';

initHubI18n();
const root = document.getElementById('root');
if (!root) throw new Error('hub.html has no #root');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
