import { BENCH_SIZES, fillBench, overlaps } from './bench-fill.js';
import { expect, openUi, test, tile } from './station-fixture.js';

// Issue 13, item 4: the grid fits the bench. 24, 32 and 64 slots on 1920×1080 and the 1366×768
// laptop show every slot without scrolling; failed tiles do not stretch their row; the Simulator
// button covers no tile; a device's name keeps its distinguishing end. (The same benches, as
// pictures: npm run screenshots, tests/tools/screenshots/bench-sizes.screenshot.ts.)

// German: the floor's language, and its longer words are the harder fit.
test.use({ stationOptions: { simSpeed: 300, simulate: 0 }, locale: 'de-DE' });

for (const size of BENCH_SIZES) {
  test(`${size.slots} slots at ${size.width}×${size.height}: no scrolling, rows of equal height, nothing under the Simulator button`, async ({
    page,
    station,
  }) => {
    test.setTimeout(120_000);
    await page.setViewportSize({ width: size.width, height: size.height });
    await openUi(page, station);
    const { failed, all } = await fillBench(page, station, size.slots);

    const main = page.locator('main.main');
    const scroll = await main.evaluate((el) => ({
      scrollHeight: el.scrollHeight,
      clientHeight: el.clientHeight,
      scrollWidth: el.scrollWidth,
      clientWidth: el.clientWidth,
    }));
    expect(scroll.scrollHeight, 'the grid scrolls').toBeLessThanOrEqual(scroll.clientHeight);
    expect(scroll.scrollWidth, 'the grid scrolls sideways').toBeLessThanOrEqual(scroll.clientWidth);
    const page_ = await page.evaluate(() => ({ scrollHeight: document.documentElement.scrollHeight, innerHeight: window.innerHeight }));
    expect(page_.scrollHeight, 'the page scrolls').toBeLessThanOrEqual(page_.innerHeight);
    await expect(page.locator('.grid')).toHaveAttribute('data-fits', 'true');

    // Every tile is as tall as every other: a failed one's reason and buttons stretch nothing.
    const heights = await page.locator('.tile[data-serial]').evaluateAll((els) => els.map((e) => Math.round(e.getBoundingClientRect().height)));
    expect(new Set(heights).size, `tile heights ${[...new Set(heights)].join(', ')}`).toBe(1);
    const failedBox = await tile(page, failed[0]!).boundingBox();
    expect(Math.round(failedBox!.height)).toBe(heights[0]);
    // The failed tile still shows its reason and its Retry, whole, inside the tile.
    const retry = (await tile(page, failed[0]!).getByRole('button', { name: 'Wiederholen' }).boundingBox())!;
    const reason = (await tile(page, failed[0]!).locator('.tile__instruction').boundingBox())!;
    for (const part of [retry, reason]) {
      expect(part.height).toBeGreaterThan(10);
      expect(part.y).toBeGreaterThanOrEqual(failedBox!.y);
      expect(part.y + part.height).toBeLessThanOrEqual(failedBox!.y + failedBox!.height + 0.5);
    }

    // The Simulator button (closed and open) covers no tile.
    const toggle = page.getByRole('button', { name: 'Simulator' });
    const tiles = await page.locator('.tile').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON() as DOMRect));
    const toggleBox = (await toggle.boundingBox())!;
    expect(tiles.filter((b) => overlaps(b, toggleBox))).toEqual([]);
    await toggle.click();
    const panel = page.getByRole('complementary', { name: 'Simulator' });
    await expect(panel).toBeVisible();
    const panelBox = (await panel.boundingBox())!;
    // The docked panel takes room from the grid (which may scroll now): no tile, as far as it shows, lies under it.
    const mainBox = (await main.boundingBox())!;
    const shown = (await page.locator('.tile').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON() as DOMRect)))
      .map((b) => {
        const top = Math.max(b.y, mainBox.y);
        const bottom = Math.min(b.y + b.height, mainBox.y + mainBox.height);
        return { x: b.x, y: top, width: b.width, height: bottom - top };
      })
      .filter((b) => b.height > 0);
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.filter((b) => overlaps(b, panelBox))).toEqual([]);
    expect(panelBox.y).toBeGreaterThanOrEqual(mainBox.y + mainBox.height - 1);
    await toggle.click();
    await expect(panel).toHaveCount(0);

    // The distinguishing end of every serial is on screen, not cut off.
    const cut = await page.locator('.tile[data-serial] .tile__name').evaluateAll((names) =>
      names
        .filter((n) => {
          const tail = n.querySelector('.tile__name-tail')!.getBoundingClientRect();
          const box = n.getBoundingClientRect();
          return tail.width === 0 || tail.right > box.right + 0.5;
        })
        .map((n) => n.textContent),
    );
    expect(cut).toEqual([]);
    expect(all).toHaveLength(size.slots);
  });
}

test('a device name keeps its distinguishing end on a narrow tile: "…-007", not only the school', async ({ page, station }) => {
  await page.setViewportSize({ width: 1366, height: 768 });
  await openUi(page, station);
  await station.api('PUT', 'settings/current-batch', {
    blueprint: 'school-ipad',
    customer: 'Stadt Musterstadt',
    school: 'Städtische Gemeinschaftsgrundschule am Nordpark',
  });
  const serials = await station.plug(32);
  const named = tile(page, serials[6]!);
  await expect(named).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
  const name = named.locator('.tile__name');
  await expect(name).toContainText(/Nordpark-\d{3}$/);
  const tail = await name
    .locator('.tile__name-tail')
    .evaluate((el) => ({ text: el.textContent, right: el.getBoundingClientRect().right, box: el.parentElement!.getBoundingClientRect().right }));
  expect(tail.text).toMatch(/^-\d{3}$/);
  expect(tail.right).toBeLessThanOrEqual(tail.box + 0.5);
  // The head gave way instead: it is cut with an ellipsis.
  const head = await name.locator('.tile__name-head').evaluate((el) => el.scrollWidth > el.clientWidth);
  expect(head).toBe(true);
});
