import i18next, { type TFunction } from 'i18next';
import { currentLanguage } from '../../common/i18n/index.js';
import { messageText } from '../../common/i18n/messages.js';
import { TransportError } from '../../transport/transport.js';
import type { SaveFileRequest } from '../../transport/save-file.js';
import { saveDownload } from './downloads.js';

/** How a floor tab tells the technician what happened (the app's notices). */
export type Say = (tone: 'info' | 'error', text: string) => void;

/**
 * The text of a failed call, which names what to fix: the station's catalogue message in the UI's
 * language, else (an older station, a transport failure) the words the station or transport gave.
 */
export function errorText(err: unknown): string {
  if (err instanceof TransportError && err.text) {
    const text = messageText(i18next.t, currentLanguage(), err.text);
    if (text !== undefined) return text;
  }
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
export function saveFile(
  t: TFunction,
  say: Say,
  request: SaveFileRequest,
  route: string,
  fallbackName: string,
  failed: (text: string) => string = (text) => text,
): void {
  void saveDownload(request, route, fallbackName).then(
    (outcome) => {
      if ('saved' in outcome) say('info', t('floor.export.saved', { path: outcome.saved }));
    },
    (err: unknown) => say('error', errorText(err) === 'no-download' ? t('floor.export.noDownload') : failed(errorText(err))),
  );
}
