// The preload of the station window. It runs sandboxed, so it cannot load project files at run
// time: `npm run build:preload` bundles it with the shared contract into dist/main/electron/preload.cjs.
import { contextBridge, ipcRenderer } from 'electron';
import { createBenchlineBridge } from './preload-api.js';

contextBridge.exposeInMainWorld('benchline', createBenchlineBridge(ipcRenderer));
