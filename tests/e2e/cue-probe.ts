import type { Page } from '@playwright/test';

/** Counts the tones the page plays (its Web Audio oscillators): installed before the page loads. */
export async function countTones(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const Real = window.AudioContext;
    const w = window as unknown as { __tones: number };
    w.__tones = 0;
    window.AudioContext = class extends Real {
      override createOscillator(): OscillatorNode {
        w.__tones++;
        return super.createOscillator();
      }
    };
  });
}

/** How many tones the page has played so far. */
export function tones(page: Page): Promise<number> {
  return page.evaluate(() => (window as unknown as { __tones: number }).__tones);
}
