import fs from 'node:fs';
import path from 'node:path';
import { ROOT, expect, openUi, test, tile } from '../../e2e/station-fixture.js';

/** The README's picture of the technician's grid: every tile state at once. */
const OUT = path.join(ROOT, 'resources', 'screenshots', 'station-grid.png');

test.use({ stationOptions: { simSpeed: 40, simulate: 0 } });

test('the grid with every state (resources/screenshots/station-grid.png)', async ({ page, station }) => {
  // A 1080p bench screen, as the floor has them: the grid fits it without scrolling.
  await page.setViewportSize({ width: 1920, height: 1080 });
  await openUi(page, station);
  await station.api('POST', 'shifts', { operators: ['Anna Schulz', 'Ben Okafor'] });
  const finished = await station.plug(4);
  const failing = await station.plug(2, { failAt: 'app-pages' });
  for (const s of finished) await expect(tile(page, s)).toHaveAttribute('data-state', 'done', { timeout: 45_000 });
  for (const s of failing) await expect(tile(page, s)).toHaveAttribute('data-state', 'failed', { timeout: 45_000 });

  const notebooks = await station.plug(2, { model: 'Notebook 14 (Schule)' });
  await station.plug(1, { model: 'Galaxy Tab A9+' });
  const running = await station.plug(7);
  await expect(tile(page, running[2]!)).toHaveAttribute('data-state', /running|waiting/, { timeout: 10_000 });
  await station.unplug(running[2]!);
  for (const s of notebooks) await expect(tile(page, s)).toHaveAttribute('data-state', 'waiting', { timeout: 10_000 });
  await expect(tile(page, running[2]!)).toHaveAttribute('data-state', 'interrupted');
  await tile(page, failing[0]!).focus();
  await expect(tile(page, failing[0]!)).toBeFocused();

  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  await page.screenshot({ path: OUT, animations: 'disabled' });
  expect(fs.statSync(OUT).size).toBeGreaterThan(10_000);
});
