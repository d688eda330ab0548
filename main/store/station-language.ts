import type { MessageLanguage } from '../../shared/messages/catalogue.js';

/**
 * The language of what the station itself writes for people (labels, the shift PDF): German
 * unless the station setting `language` is `en`. A reader who asks for a language still gets theirs.
 */
export function stationLanguage(settings: { getSetting(key: string): string | null }): MessageLanguage {
  return settings.getSetting('language') === 'en' ? 'en' : 'de';
}
