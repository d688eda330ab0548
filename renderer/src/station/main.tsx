import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '../common/styles/base.css';
// Tiles before the screen's sheet: the drawer reuses tile classes and its own rules must win.
import './components/tile.css';
import './components/tile-density.css';
import './station.css';
import { CuePlayer } from '../common/cue.js';
import de from '../common/i18n/de.json';
import en from '../common/i18n/en.json';
import { initI18n } from '../common/i18n/index.js';
import { connectStation } from '../transport/index.js';
import { App } from './App.js';
import { StationProvider } from './state/context.js';
import { StationStore } from './state/station-store.js';

initI18n({ de, en });
const client = connectStation();
const store = new StationStore(client);
store.start();

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <StationProvider client={client} store={store}>
      <App cue={new CuePlayer()} />
    </StationProvider>
  </StrictMode>,
);
