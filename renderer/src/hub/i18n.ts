import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import { LANGUAGES, initialLanguage } from '../common/i18n/index.js';
import de from './de.json';
import en from './en.json';

/** The dashboard's texts (de.json / en.json beside this file); language choice as in the station app. */
export function initHubI18n(): void {
  const lng = initialLanguage();
  void i18next.use(initReactI18next).init({
    resources: { de: { translation: de }, en: { translation: en } },
    lng,
    fallbackLng: 'en',
    supportedLngs: [...LANGUAGES],
    nsSeparator: false,
    keySeparator: false,
    interpolation: { escapeValue: false },
    initAsync: false,
    returnNull: false,
  });
  document.documentElement.lang = lng;
}
