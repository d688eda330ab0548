import type { Page } from '@playwright/test';
import { expect, openUi, test, tile } from './station-fixture.js';

// Issue 13, item 5: a failed tile's timer keeps running, and two browsers (one of them with a
// clock five minutes off) and a reload all show the same elapsed time: it derives from the
// station's timestamps and clock, not from when a page saw an event.

test.use({ stationOptions: { simSpeed: 300, simulate: 0 } });

async function elapsedSeconds(page: Page, serial: string): Promise<number> {
  const text = (await tile(page, serial).locator('.tile__elapsed').textContent()) ?? '';
  const m = /(\d+):(\d{2})$/.exec(text.trim());
  if (!m) throw new Error(`no elapsed time on the tile: "${text}"`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/** Both readings within the same moment: they may straddle a second's turn, no more. */
async function both(a: Page, b: Page, serial: string): Promise<[number, number]> {
  return Promise.all([elapsedSeconds(a, serial), elapsedSeconds(b, serial)]);
}

test("a failed tile's timer keeps running, and agrees in two browsers and after a reload", async ({ page, station, browser }) => {
  await openUi(page, station);
  const [serial] = await station.plug(1, { failAt: 'app-pages' });
  await expect(tile(page, serial!)).toHaveAttribute('data-state', 'failed', { timeout: 30_000 });

  const before = await elapsedSeconds(page, serial!);
  await expect.poll(() => elapsedSeconds(page, serial!), { timeout: 5_000 }).toBeGreaterThanOrEqual(before + 2);

  // A second browser whose clock is five minutes ahead of the station's.
  const skewed = await browser.newContext();
  await skewed.addInitScript(() => {
    const realNow = Date.now.bind(Date);
    Date.now = () => realNow() + 5 * 60_000;
  });
  const other = await skewed.newPage();
  await openUi(other, station);
  await expect(tile(other, serial!)).toHaveAttribute('data-state', 'failed');
  const [a, b] = await both(page, other, serial!);
  expect(Math.abs(a - b), `first browser ${a} s, second ${b} s`).toBeLessThanOrEqual(1);

  await page.reload();
  await expect(tile(page, serial!)).toHaveAttribute('data-state', 'failed');
  const [c, d] = await both(page, other, serial!);
  expect(Math.abs(c - d), `after the reload ${c} s, second browser ${d} s`).toBeLessThanOrEqual(1);
  expect(c).toBeGreaterThanOrEqual(a);
  await skewed.close();
});
