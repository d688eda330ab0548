import type { Browser, Locator } from '@playwright/test';
import { expect, openUi, test, tile, type Station } from './station-fixture.js';

/**
 * One language at a time (issue 9, "one message catalogue"): a failing simulated device, the UI in
 * English and then in German, and no word of the other language on the tile, in the drawer or in
 * the header. The words are ones the station really says in each language (tile states, actions,
 * the failure texts, the header's stats and shift line).
 */
const GERMAN_WORDS = [
  'Fehler',
  'fehlgeschlagen',
  'Fehlgeschlagen',
  'Wiederholen',
  'wiederholen',
  'Schritt',
  'Gerät',
  'Geräte',
  'Steckplatz',
  'Einheit',
  'geschlossen',
  'Verbunden',
  'Schicht',
  'prüfen',
  'dann',
  'und',
  'nicht',
  'Netzwerk',
  'Fertig',
  'Überspringen',
];
const ENGLISH_WORDS = [
  'failed',
  'Failed',
  'Retry',
  'retry',
  'step',
  'Step',
  'device',
  'Device',
  'Slot',
  'Unit',
  'closed',
  'Connected',
  'Shift',
  'Check',
  'then',
  'the',
  'network',
  'Done',
  'Skip',
];

/** The words of `words` that occur as whole words in `text` (letters of any script count as word characters). */
function foreignWords(text: string, words: readonly string[]): string[] {
  return words.filter((w) => new RegExp(`(?<!\\p{L})${w}(?!\\p{L})`, 'u').test(text));
}

/** Every text node and text attribute under the element, except under `exclude`, joined with spaces. */
async function textOf(locator: Locator, exclude: readonly string[] = []): Promise<string> {
  return locator.evaluate((root, skip) => {
    const parts: string[] = [];
    const skipped = (el: Element) => skip.some((s) => el.closest(s));
    for (const el of [root, ...Array.from(root.querySelectorAll('*'))]) {
      if (skipped(el)) continue;
      for (const a of ['aria-label', 'title', 'placeholder']) {
        const v = el.getAttribute(a);
        if (v) parts.push(v);
      }
      for (const n of Array.from(el.childNodes)) if (n.nodeType === Node.TEXT_NODE && n.textContent?.trim()) parts.push(n.textContent);
    }
    return parts.join(' ');
  }, exclude as string[]);
}

async function failedDeviceIn(browser: Browser, station: Station, locale: string) {
  const context = await browser.newContext({ locale });
  const page = await context.newPage();
  await openUi(page, station);
  const [serial] = await station.plug(1, { failAt: 'app-pages' });
  const t = tile(page, serial!);
  await expect(t).toHaveAttribute('data-state', 'failed', { timeout: 30_000 });
  await t.click();
  const drawer = page.getByRole('dialog');
  await expect(drawer.locator('[data-step="app-pages"]')).toHaveAttribute('data-status', 'failed');
  return { context, page, tile: t, drawer, header: page.locator('.header') };
}

test.describe('one language at a time', () => {
  for (const { locale, language, foreign, sample } of [
    {
      locale: 'en-US',
      language: 'English',
      foreign: GERMAN_WORDS,
      sample: 'The app download failed (network). Check the Wi-Fi / proxy of the bench, then retry.',
    },
    {
      locale: 'de-DE',
      language: 'German',
      foreign: ENGLISH_WORDS,
      sample: 'App-Download fehlgeschlagen (Netzwerk). WLAN / Proxy des Arbeitsplatzes prüfen, dann wiederholen.',
    },
  ]) {
    test(`a failing device in ${language}: tile, drawer and header hold no word of the other language`, async ({ browser, station }) => {
      const ui = await failedDeviceIn(browser, station, locale);
      // The failure is in this language's words (the catalogue's text for sim.install-app).
      await expect(ui.tile.locator('.tile__instruction')).toHaveText(sample);
      await expect(ui.drawer.locator('.drawer__instruction')).toHaveText(sample);
      expect(foreignWords(await textOf(ui.tile), foreign), 'tile').toEqual([]);
      expect(foreignWords(await textOf(ui.header), foreign), 'header').toEqual([]);
      expect(foreignWords(await textOf(ui.drawer), foreign), 'drawer').toEqual([]);
      await ui.context.close();
    });

    test(`a failing device in ${language}: the drawer's timeline and log messages too`, async ({ browser, station }) => {
      const ui = await failedDeviceIn(browser, station, locale);
      // The failed step's message and the log's fail event are the catalogue's text, not the core's English.
      await expect(ui.drawer.locator('[data-step="app-pages"] .timeline__message')).toHaveText(sample);
      await expect(ui.drawer.locator('.log__message', { hasText: sample }).first()).toBeVisible();
      const messages = `${await textOf(ui.drawer.locator('.timeline'))} ${await textOf(ui.drawer.locator('.log'))}`;
      expect(foreignWords(messages, foreign), 'timeline and log').toEqual([]);
      await ui.context.close();
    });
  }
});
