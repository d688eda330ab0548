import type { TFunction } from 'i18next';
import type { SaveFileRequest } from '../../transport/save-file.js';
import { saveDownload } from './downloads.js';

/** How a floor tab tells the technician what happened (the app's notices). */
export type Say = (tone: 'info' | 'error', text: string) => void;

/** The text of a failed call: the station's own message, which names what to fix. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Runs an action; a failure becomes an error notice, success the optional `done` notice. True when it worked. */
export async function attempt(say: Say, action: () => Promise<unknown>, done?: string): Promise<boolean> {
  try {
    await action();
    if (done) say('info', done);
    return true;
  } catch (err) {
    say('error', errorText(err));
    return false;
  }
}

/** A download button's action: saved by the app (says where), cancelled (says nothing), or the browser's download. */
export function saveFile(t: TFunction, say: Say, request: SaveFileRequest, route: string, fallbackName: string, failed: (text: string) => string = (text) => text): void {
  void saveDownload(request, route, fallbackName).then(
    (outcome) => {
      if ('saved' in outcome) say('info', t('floor.export.saved', { path: outcome.saved }));
    },
    (err: unknown) => say('error', errorText(err) === 'no-download' ? t('floor.export.noDownload') : failed(errorText(err))),
  );
}
