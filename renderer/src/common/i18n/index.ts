import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import { MESSAGE_TEXTS, MESSAGES_NS } from './messages.js';

export const LANGUAGES = ['de', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

const STORAGE_KEY = 'benchline.language';

function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/** The technician's choice if they made one, else German where the system is German, else English. */
export function initialLanguage(): Language {
  try {
    const stored = window.localStorage.getItem(STORAGE_KEY);
    if (isLanguage(stored)) return stored;
  } catch {
    // No storage: fall through to the system language.
  }
  return navigator.language.toLowerCase().startsWith('de') ? 'de' : 'en';
}

export function currentLanguage(): Language {
  return isLanguage(i18next.language) ? i18next.language : 'en';
}

export function setLanguage(language: Language): void {
  void i18next.changeLanguage(language);
  document.documentElement.lang = language;
  try {
    window.localStorage.setItem(STORAGE_KEY, language);
  } catch {
    // Not persisted; the switch still applies now.
  }
}

/** One app's texts in both languages: every UI text lives in a de.json / en.json, components only ever call t(). */
export interface AppTexts {
  de: Record<string, unknown>;
  en: Record<string, unknown>;
}

/** One app's texts plus the core's message catalogue (namespace "messages", see ./messages.ts). */
export function i18nResources(texts: AppTexts) {
  return {
    de: { translation: texts.de, [MESSAGES_NS]: MESSAGE_TEXTS.de },
    en: { translation: texts.en, [MESSAGES_NS]: MESSAGE_TEXTS.en },
  };
}

/**
 * Starts i18next for one renderer entry (the station app or the hub's dashboard) with the language
 * choice both share. `flatKeys`: the texts' keys contain dots and are not nested objects.
 */
export function initI18n(texts: AppTexts, options: { flatKeys?: boolean } = {}): typeof i18next {
  const lng = initialLanguage();
  void i18next.use(initReactI18next).init({
    resources: i18nResources(texts),
    lng,
    fallbackLng: 'en',
    supportedLngs: [...LANGUAGES],
    nsSeparator: false,
    ...(options.flatKeys ? { keySeparator: false as const } : {}),
    interpolation: { escapeValue: false },
    initAsync: false,
    returnNull: false,
  });
  document.documentElement.lang = lng;
  return i18next;
}
