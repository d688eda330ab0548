import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const RENDERER = fileURLToPath(new URL('../../renderer/src', import.meta.url));
const I18N = path.join(RENDERER, 'common', 'i18n');
/** The station app and what it shares; the hub's dashboard keeps its own locale files. */
const STATION_DIRS = ['station', 'common', 'transport'].map((d) => path.join(RENDERER, d));

function keys(obj: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(obj).flatMap(([k, v]) => (v && typeof v === 'object' ? keys(v as Record<string, unknown>, `${prefix}${k}.`) : [`${prefix}${k}`]));
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : /\.tsx$/.test(e.name) ? [p] : [];
  });
}

describe('renderer texts', () => {
  const de = JSON.parse(fs.readFileSync(path.join(I18N, 'de.json'), 'utf8')) as Record<string, unknown>;
  const en = JSON.parse(fs.readFileSync(path.join(I18N, 'en.json'), 'utf8')) as Record<string, unknown>;

  it('German and English have the same keys', () => {
    expect(keys(de).sort()).toEqual(keys(en).sort());
  });

  it('no text is empty or left untranslated where it should differ', () => {
    const flatDe = new Map(keys(de).map((k) => [k, k.split('.').reduce<unknown>((o, p) => (o as Record<string, unknown>)[p], de)]));
    for (const [k, v] of flatDe) expect(typeof v === 'string' && v.trim().length > 0, k).toBe(true);
    // Spot checks of the floor's words (UX.md "Language").
    const text = JSON.stringify(de);
    for (const word of ['Steckplatz', 'Schicht', 'Vorlage', 'Etikett', 'Quarantäne', 'Gerät']) expect(text).toContain(word);
  });

  it('every key the components use exists', () => {
    const used = new Set<string>();
    for (const file of STATION_DIRS.flatMap(sourceFiles)) {
      for (const m of fs.readFileSync(file, 'utf8').matchAll(/\bt\(\s*'([a-zA-Z0-9_.-]+)'/g)) used.add(m[1]!);
    }
    const known = new Set(keys(en).map((k) => k.replace(/_(one|other)$/, '')));
    const missing = [...used].filter((k) => !known.has(k));
    expect(missing).toEqual([]);
    expect(used.size).toBeGreaterThan(50);
  });

  it('components hold no visible text of their own: it all comes from the locale files', () => {
    const offenders: string[] = [];
    for (const file of STATION_DIRS.flatMap(sourceFiles)) {
      const src = fs.readFileSync(file, 'utf8');
      // JSX text between tags that contains a letter, e.g. <span>Retry</span>. Key caps (<kbd>Esc</kbd>)
      // name keys, which are the same in every language.
      for (const m of src.replace(/<kbd>[^<{]*<\/kbd>/g, '').matchAll(/(?<![=-])>\s*([^<>{}\n]*[A-Za-zÄÖÜäöüß][^<>{}\n]*?)\s*</g)) {
        if (!/^[\s=&|?:().,;'"`-]/.test(m[1]!) && !/=>|&&|\|\|/.test(m[1]!)) offenders.push(`${path.basename(file)}: ${m[1]}`);
      }
      // Text attributes given as literals.
      for (const m of src.matchAll(/\b(aria-label|placeholder|title|alt)="([^"]*[A-Za-z][^"]*)"/g)) offenders.push(`${path.basename(file)}: ${m[1]}="${m[2]}"`);
    }
    expect(offenders).toEqual([]);
  });
});

describe("the core's problems by their code", () => {
  it('"needs an order" and quarantine show in the UI language, not in the German the core wrote', async () => {
    const { default: i18next } = await import('i18next');
    const { errorText } = await import('../../renderer/src/station/state/device-text.js');
    const { i18nResources } = await import('../../renderer/src/common/i18n/index.js');
    const [de, en] = ['de', 'en'].map((l) => JSON.parse(fs.readFileSync(path.join(I18N, `${l}.json`), 'utf8')) as Record<string, unknown>);
    const resources = i18nResources({ de: de!, en: en! });
    const i18n = i18next.createInstance();
    await i18n.init({ lng: 'en', resources, interpolation: { escapeValue: false } });
    const device = (code: string, message: string) => ({ error: { code, message }, stepLabel: null });
    const core = 'Gerät DMPX1 steht in keinem Auftrag, und es ist keine Charge gewählt: Auftrag wählen.';
    expect(errorText(device('needs_assignment', core), i18n.t, 'en')).toContain('choose an order or a batch');
    expect(errorText(device('quarantined', 'Gerät DMPX1 ist in Quarantäne.'), i18n.t, 'en')).toContain('in quarantine');
    await i18n.changeLanguage('de');
    expect(errorText(device('needs_assignment', core), i18n.t, 'de')).toContain('Auftrag oder eine Charge wählen');
    // A code the UI does not know keeps the station's words.
    expect(errorText(device('something_new', 'Sonderfall'), i18n.t, 'de')).toBe('Sonderfall');
  });
});
