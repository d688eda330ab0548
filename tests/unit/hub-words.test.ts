import i18next, { type TFunction } from 'i18next';
import { describe, expect, it } from 'vitest';
import { i18nResources, type Language } from '../../renderer/src/common/i18n/index.js';
import de from '../../renderer/src/hub/de.json' with { type: 'json' };
import en from '../../renderer/src/hub/en.json' with { type: 'json' };
import { causeWords, lastSeenWords, stateWord } from '../../renderer/src/hub/words.js';

/** The dashboard's words for an offline station, a cause and a state (issue 13, items 8 and 11). */
function translator(lng: Language): TFunction {
  const i18n = i18next.createInstance();
  void i18n.init({
    resources: i18nResources({ de, en }),
    lng,
    fallbackLng: 'en',
    nsSeparator: false,
    keySeparator: false,
    interpolation: { escapeValue: false },
    initAsync: false,
  });
  return i18n.t;
}

describe("the hub dashboard's words", () => {
  const now = '2026-03-02T10:00:00.000Z';
  const ago = (ms: number) => new Date(Date.parse(now) - ms).toISOString();

  it('has the same keys in German and English', () => {
    expect(Object.keys(de).sort()).toEqual(Object.keys(en).sort());
  });

  it('says when an offline station was last seen, on the hub clock', () => {
    const t = translator('de');
    expect(lastSeenWords(t, ago(12 * 60_000 + 30_000), now)).toBe('zuletzt gesehen vor 12 min');
    expect(lastSeenWords(t, ago(40_000), now)).toBe('zuletzt gesehen vor 40 s');
    expect(lastSeenWords(t, ago(5_000), now)).toBe('zuletzt gesehen gerade eben');
    expect(lastSeenWords(t, ago(3 * 3_600_000 + 5 * 60_000), now)).toBe('zuletzt gesehen vor 3 h 5 min');
    expect(lastSeenWords(t, null, now)).toBe('hat sich nie gemeldet');
    expect(lastSeenWords(translator('en'), ago(12 * 60_000), now)).toBe('last seen 12 min ago');
  });

  it("names a cause in the reader's language from the catalogue, else in the station's words, never as a code when it knows it", () => {
    const t = translator('de');
    expect(causeWords(t, 'de', { text: { code: 'sim.erase', params: {} }, reason: 'sim.erase' })).toMatch(/^Löschen startet nicht/);
    expect(causeWords(t, 'de', { text: { code: 'timeout', params: { step: 'activate' } }, reason: 'timeout' })).toContain('„activate“');
    expect(causeWords(translator('en'), 'en', { text: { code: 'sim.erase', params: {} }, reason: 'sim.erase' })).not.toContain('sim.erase');
    // A code this build does not know: the station's words, else the code itself.
    expect(causeWords(t, 'de', { text: { code: 'future.code', params: {} }, message: 'Neuer Fehler', reason: 'future.code' })).toBe('Neuer Fehler');
    expect(causeWords(t, 'de', { reason: 'E_CUSTOM' })).toBe('E_CUSTOM');
    expect(stateWord(t, 'failed')).toBe('Fehler');
  });
});
