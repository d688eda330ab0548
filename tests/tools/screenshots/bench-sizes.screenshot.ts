import fs from 'node:fs';
import path from 'node:path';
import { BENCH_SIZES, fillBench } from '../../e2e/bench-fill.js';
import { ROOT, expect, openUi, test } from '../../e2e/station-fixture.js';

/**
 * The technician's grid on the benches of issue 13 (1920×1080 with 24, 32 and 64 slots, a
 * 1366×768 laptop), in German as the floor reads it: kept in tests/artifacts/screenshots/ to be
 * looked at. tests/e2e/grid-fit.spec.ts asserts what these pictures show (no scrolling, equal rows).
 */
const OUT = path.join(ROOT, 'tests', 'artifacts', 'screenshots');

test.use({ stationOptions: { simSpeed: 300, simulate: 0 }, locale: 'de-DE' });

for (const size of BENCH_SIZES) {
  test(`bench ${size.width}x${size.height} with ${size.slots} slots`, async ({ page, station }) => {
    test.setTimeout(120_000);
    await page.setViewportSize({ width: size.width, height: size.height });
    await openUi(page, station);
    await fillBench(page, station, size.slots);
    const file = path.join(OUT, `bench-${size.width}x${size.height}-${size.slots}.png`);
    fs.mkdirSync(OUT, { recursive: true });
    await page.screenshot({ path: file, animations: 'disabled' });
    expect(fs.statSync(file).size).toBeGreaterThan(10_000);
  });
}
