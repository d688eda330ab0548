import type { TFunction } from 'i18next';
import type { WireMessage } from '../../../shared/messages/schema.js';
import { messageText } from '../common/i18n/messages.js';
import type { Language } from '../common/i18n/index.js';

/**
 * A cause the hub reports (a catalogue message, else the station's words, else its code) in the
 * dashboard's language: the catalogue's words wherever the hub recognised the cause.
 */
export function causeWords(
  t: TFunction,
  language: Language,
  cause: { text?: WireMessage | undefined; message?: string | null; reason?: string | null },
): string {
  return (cause.text ? messageText(t, language, cause.text) : undefined) ?? cause.message ?? cause.reason ?? '';
}

/** "zuletzt gesehen vor 12 min", measured on the hub's clock (serverTime), so a wrong clock in the browser does not matter. */
export function lastSeenWords(t: TFunction, lastSeen: string | null, serverTime: string): string {
  if (!lastSeen) return t('tile.neverSeen');
  const seconds = Math.max(0, Math.floor((Date.parse(serverTime) - Date.parse(lastSeen)) / 1000));
  const minutes = Math.floor(seconds / 60);
  if (seconds < 15) return t('tile.lastSeenNow');
  if (minutes < 1) return t('tile.lastSeenSeconds', { seconds });
  if (minutes < 120) return t('tile.lastSeenAgo', { minutes });
  return t('tile.lastSeenHours', { hours: Math.floor(minutes / 60), minutes: minutes % 60 });
}

/** A run state as a word (always with its icon, never colour alone). */
export function stateWord(t: TFunction, state: string): string {
  return t(`state.${state}`, { defaultValue: state });
}
