import { expect, openUi, scan, test, tile } from './station-fixture.js';

test.describe('technician screen', () => {
  test('16 devices plugged from the simulator panel all reach done', async ({ page, station }) => {
    await openUi(page, station);
    await page.getByRole('button', { name: 'Simulator' }).click();
    const panel = page.getByRole('complementary', { name: 'Simulator' });
    await panel.getByLabel('Devices').fill('16');
    await panel.getByRole('button', { name: 'Plug in' }).click();

    await expect(page.locator('.tile[data-serial]')).toHaveCount(16);
    // Slot order, as the hub is built.
    const slots = await page.locator('.tile[data-serial]').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.slot));
    expect(slots).toEqual(Array.from({ length: 16 }, (_, i) => `A${i + 1}`));

    await expect(page.locator('.tile[data-state="done"]')).toHaveCount(16, { timeout: 45_000 });
    await expect(page.locator('.tile[data-state="done"]').first()).toContainText('Unplug and pack');
    await expect(page.locator('.stat--done .stat__value')).toHaveText('16');
    await expect(page.locator('.stat--running .stat__value')).toHaveText('0');
  });

  test('a failed device shows its error in plain words, and Retry on its tile finishes it', async ({ page, station }) => {
    await openUi(page, station);
    const [serial] = await station.plug(1, { failAt: 'app-pages' });
    const t = tile(page, serial!);

    await expect(t).toHaveAttribute('data-state', 'failed', { timeout: 30_000 });
    await expect(t.locator('.tile__state')).toHaveText('Failed');
    await expect(t.locator('.tile__instruction')).toHaveText('The app download failed (network). Check the Wi-Fi / proxy of the bench, then retry.');
    await expect(t.locator('.tile__step-label')).toHaveText('App: Pages');
    await expect(page.locator('.stat--failed .stat__value')).toHaveText('1');

    await t.getByRole('button', { name: 'Retry' }).click();
    await expect(t).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
    await expect(t.getByRole('button', { name: 'Retry' })).toHaveCount(0);
    expect((await station.devices()).find((d) => d.serial === serial)?.state).toBe('done');
  });

  test('German on a German system, English after the switch, and the choice survives a reload', async ({ browser, station }) => {
    const context = await browser.newContext({ locale: 'de-DE' });
    const page = await context.newPage();
    await openUi(page, station);
    const [serial] = await station.plug(1);
    const t = tile(page, serial!);

    await expect(page.locator('html')).toHaveAttribute('lang', 'de');
    await expect(page.locator('.conn')).toHaveText('Verbunden');
    await expect(page.locator('.stat--done .stat__label')).toHaveText('Fertig');
    await expect(page.locator('.stat--running .stat__label')).toHaveText('In Arbeit');
    await expect(page.locator('.shift__since')).toContainText('Schicht seit');
    await expect(page.getByRole('button', { name: 'Schicht beenden' })).toBeVisible();
    await expect(t).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
    await expect(t.locator('.tile__state')).toHaveText('Fertig');
    await expect(t.locator('.tile__instruction')).toHaveText('Abziehen und verpacken');
    await expect(t).toHaveAttribute('aria-label', new RegExp(`^Steckplatz A1: .*, Fertig$`));

    await page.getByRole('button', { name: 'English' }).click();
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    await expect(page.locator('.stat--done .stat__label')).toHaveText('Done');
    await expect(page.locator('.stat--running .stat__label')).toHaveText('In progress');
    await expect(t.locator('.tile__state')).toHaveText('Done');
    await expect(t.locator('.tile__instruction')).toHaveText('Unplug and pack');
    await expect(page.getByRole('button', { name: 'Close shift' })).toBeVisible();

    await page.reload();
    await expect(page.locator('.conn')).toHaveText('Connected');
    await expect(tile(page, serial!).locator('.tile__instruction')).toHaveText('Unplug and pack');

    await page.getByRole('button', { name: 'Deutsch' }).click();
    await expect(tile(page, serial!).locator('.tile__instruction')).toHaveText('Abziehen und verpacken');
    await context.close();
  });

  test('a scanned serial (a fast burst of keys + Enter) focuses its tile, and a single letter stays a shortcut', async ({ page, station }) => {
    await openUi(page, station);
    const serials = await station.plug(16);
    await expect(page.locator('.tile[data-serial]')).toHaveCount(16);
    // Prefer a serial that starts with a shortcut letter (iPad serials "DMP..."): its first key
    // must not open the details drawer.
    const target = serials.find((s) => /^[DRS]/.test(s)) ?? serials[10]!;

    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await scan(page, target);
    await expect(tile(page, target)).toBeFocused();
    await expect(tile(page, target)).toHaveClass(/tile--focused/);
    await expect(page.getByRole('dialog')).toHaveCount(0);

    // An unknown code says so instead of doing anything.
    await scan(page, 'NOPE12345');
    await expect(page.locator('.notice')).toContainText('No device “NOPE12345” on this station');
    await expect(tile(page, target)).toBeFocused();

    // Arrow keys move in slot order.
    const order = await page.locator('.tile[data-serial]').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.serial));
    const at = order.indexOf(target);
    await page.keyboard.press('ArrowRight');
    await expect(tile(page, order[at + 1]!)).toBeFocused();
    await page.keyboard.press('ArrowLeft');
    await expect(tile(page, target)).toBeFocused();

    // One letter on its own is a shortcut: D opens the details, Esc closes them.
    await page.keyboard.press('d');
    const drawer = page.getByRole('dialog');
    await expect(drawer).toBeVisible();
    await expect(drawer).toContainText(target);
    await page.keyboard.press('Escape');
    await expect(drawer).toHaveCount(0);
    await expect(tile(page, target)).toBeFocused();

    await page.keyboard.press('?');
    await expect(page.getByRole('dialog', { name: 'Keyboard and scanner' })).toContainText('Retry the failed step');
    await page.keyboard.press('Escape');
    await expect(page.getByRole('dialog')).toHaveCount(0);
  });

  test('a manual check is confirmed by scanning the focused device again, or by Enter', async ({ page, station }) => {
    await openUi(page, station);
    const [serial] = await station.plug(1, { model: 'Notebook 14 (Schule)' });
    const t = tile(page, serial!);
    await expect(t).toHaveAttribute('data-state', 'waiting', { timeout: 20_000 });
    await expect(t.locator('.tile__step-label')).toHaveText('Visual inspection');
    await expect(t.locator('.tile__instruction')).toContainText('Check “Visual inspection”');

    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await scan(page, serial!);
    await expect(t).toBeFocused();
    await expect(t.locator('.tile__step-label')).toHaveText('Visual inspection');

    await scan(page, serial!);
    await expect(t.locator('.tile__step-label')).toHaveText('Boots to setup');
    await expect(t).toHaveAttribute('data-state', 'waiting');

    await page.keyboard.press('Enter');
    await expect(t.locator('.tile__step-label')).toHaveText('Battery');
    await t.getByRole('button', { name: 'Confirm' }).click();
    await expect(t).toHaveAttribute('data-state', 'done', { timeout: 20_000 });
  });

  test('the details drawer shows the timeline, recorded values, log and next step', async ({ page, station }) => {
    await openUi(page, station);
    const [serial] = await station.plug(1, { failAt: 'rename' });
    const t = tile(page, serial!);
    await expect(t).toHaveAttribute('data-state', 'failed', { timeout: 30_000 });

    await t.click();
    const drawer = page.getByRole('dialog');
    await expect(drawer).toBeVisible();
    const steps = drawer.locator('.timeline__step');
    await expect(steps).toHaveCount(16); // school-ipad with its baseline profiles
    await expect(drawer.locator('[data-step="erase"]')).toHaveAttribute('data-status', 'done');
    await expect(drawer.locator('[data-step="erase"] .timeline__duration')).toHaveText(/\d/);
    await expect(drawer.locator('[data-step="rename"]')).toHaveAttribute('data-status', 'failed');
    await expect(drawer.locator('[data-step="rename"]')).toContainText('3 attempts');
    await expect(drawer.locator('[data-step="label"]')).toHaveAttribute('data-status', 'pending');
    await expect(drawer.locator('.next-step')).toHaveText('Rename');
    await expect(drawer.locator('.captured')).toContainText('Serial number');
    await expect(drawer.locator('.log li').first()).toBeVisible();
    await expect(drawer.locator('.log')).toContainText('The device did not accept its new name. Retry.');

    await drawer.getByRole('button', { name: 'Retry' }).click();
    await expect(drawer.locator('[data-step="rename"]')).toHaveAttribute('data-status', 'done', { timeout: 30_000 });
    await expect(drawer.locator('.next-step')).toHaveText('Nothing left: the run is finished', { timeout: 30_000 });
    await expect(drawer.locator('.captured')).toContainText('Device name');
    await page.keyboard.press('Escape');
    await expect(page.getByRole('dialog')).toHaveCount(0);
  });

  test('shows "reconnecting" when the station goes away, and live data again when it is back', async ({ page, station }) => {
    await openUi(page, station);
    const serials = await station.plug(2);
    await expect(page.locator('.tile[data-state="done"]')).toHaveCount(2, { timeout: 30_000 });
    await expect(page.locator('.stat--done .stat__value')).toHaveText('2');

    await station.stop();
    await expect(page.getByTestId('reconnecting')).toContainText('Connection to the station lost');
    await expect(page.locator('.conn')).toHaveAttribute('data-connection', 'reconnecting');
    // Last known tiles stay, marked stale; figures are not shown as if live.
    await expect(page.locator('.grid')).toHaveClass(/grid--stale/);
    await expect(page.locator('.stat--done .stat__value')).toHaveText('–');

    await station.start(station.port);
    await expect(page.locator('.conn')).toHaveAttribute('data-connection', 'online', { timeout: 20_000 });
    await expect(page.getByTestId('reconnecting')).toHaveCount(0);
    await expect(page.locator('.stat--done .stat__value')).toHaveText('2');
    for (const s of serials) await expect(tile(page, s)).toHaveAttribute('data-state', 'done');

    // The snapshot was re-read: a device plugged while the page was away shows up.
    const [later] = await station.plug(1);
    await expect(tile(page, later!)).toBeVisible();
  });
});
