import { bridgeSaveFile, type SaveFileRequest } from '../../transport/save-file.js';
import { saveResponseAsFile } from '../../common/download.js';
import { stationToken } from '../../transport/station-token.js';

/**
 * Downloads: in the Electron window the main process writes the file where the technician picks
 * (preload bridge, save dialog); in a browser (headless station) they go over the station's HTTP
 * API (they stream), with the token the page was opened with.
 */

/** How a download ended: saved by the app (path), the save dialog cancelled, or handed to the browser. */
export type DownloadOutcome = { saved: string } | { cancelled: true } | { downloaded: true };

/**
 * The one place that decides how a file leaves the station: the bridge when it exists, else HTTP.
 * `request` is what the bridge saves; `route` / `fallbackName` are the same file over HTTP.
 */
export async function saveDownload(request: SaveFileRequest, route: string, fallbackName: string): Promise<DownloadOutcome> {
  const saveFile = bridgeSaveFile();
  if (saveFile) return saveFile(request);
  await download(route, fallbackName);
  return { downloaded: true };
}

export async function download(route: string, fallbackName: string): Promise<void> {
  const token = stationToken();
  if (!token || !window.location.protocol.startsWith('http')) throw new Error('no-download');
  const res = await fetch(route, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) {
    let message = `HTTP ${res.status}`;
    try {
      message = ((await res.json()) as { error?: { message?: string } }).error?.message ?? message;
    } catch {
      // Not JSON: keep the status.
    }
    throw new Error(message);
  }
  await saveResponseAsFile(res, fallbackName);
}
