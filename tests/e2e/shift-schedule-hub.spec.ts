import { expect, openUi, test } from './station-fixture.js';

test.describe('shift schedule', () => {
  test('windows are edited in the shift schedule dialog, kept across a reload, and a bad window is refused', async ({ page, station }) => {
    await openUi(page, station);
    await expect(page.getByTestId('hub-link')).toHaveCount(0);

    await page.locator('.shift').getByRole('button', { name: 'Shift schedule' }).click();
    let dialog = page.getByRole('dialog', { name: 'Shift schedule' });
    await expect(dialog.getByText('No windows yet')).toBeVisible();
    await dialog.getByRole('button', { name: 'Add window' }).click();
    await dialog.getByRole('textbox', { name: 'Window 1' }).fill('06:00-14:00');
    await dialog.getByRole('button', { name: 'Add window' }).click();
    await dialog.getByRole('textbox', { name: 'Window 2' }).fill('14:00-22:00');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect(dialog).toHaveCount(0);
    expect(await station.api('GET', 'settings/shift-schedule')).toEqual({ windows: ['06:00-14:00', '14:00-22:00'] });

    await page.reload();
    await openUi(page, station);
    await page.locator('.shift').getByRole('button', { name: 'Shift schedule' }).click();
    dialog = page.getByRole('dialog', { name: 'Shift schedule' });
    await expect(dialog.getByRole('textbox', { name: 'Window 1' })).toHaveValue('06:00-14:00');
    await expect(dialog.getByRole('textbox', { name: 'Window 2' })).toHaveValue('14:00-22:00');

    // A window outside the day is refused, in the UI's language, and nothing is saved.
    await dialog.getByRole('button', { name: 'Add window' }).click();
    await dialog.getByRole('textbox', { name: 'Window 3' }).fill('25:00-26:00');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect(dialog.getByRole('alert')).toHaveText('"25:00-26:00" is not a valid window: use HH:MM-HH:MM, e.g. 06:00-14:00.');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('group', { name: 'Language' }).getByRole('button', { name: 'Deutsch' }).click();
    await page.locator('.shift').getByRole('button', { name: 'Schichtplan' }).click();
    dialog = page.getByRole('dialog', { name: 'Schichtplan' });
    await dialog.getByRole('button', { name: 'Zeitfenster hinzufügen' }).click();
    await dialog.getByRole('textbox', { name: 'Zeitfenster 3' }).fill('25:00-26:00');
    await dialog.getByRole('button', { name: 'Speichern' }).click();
    await expect(dialog.getByRole('alert')).toHaveText('„25:00-26:00“ ist kein gültiges Zeitfenster: SS:MM-SS:MM verwenden, z. B. 06:00-14:00.');
    await dialog.getByRole('button', { name: 'Abbrechen' }).click();
    expect(await station.api('GET', 'settings/shift-schedule')).toEqual({ windows: ['06:00-14:00', '14:00-22:00'] });

    await page.reload();
    await openUi(page, station);
    await page.locator('.shift').getByRole('button', { name: 'Schichtplan' }).click();
    dialog = page.getByRole('dialog', { name: 'Schichtplan' });
    await expect(dialog.getByRole('textbox', { name: 'Zeitfenster 2' })).toHaveValue('14:00-22:00');
    await expect(dialog.getByRole('textbox', { name: 'Zeitfenster 3' })).toHaveCount(0);
  });
});

test.describe('hub link', () => {
  // Nothing listens on port 9: the link stays offline and transitions wait in the backlog.
  test.use({ stationOptions: { simSpeed: 2000, simulate: 2, args: ['--hub', 'http://127.0.0.1:9', '--hub-token', 'e2e-token-nobody-listens'] } });

  test('the header shows the hub unreachable with its backlog and last error', async ({ page, station }) => {
    await openUi(page, station);
    const hub = page.getByTestId('hub-link');
    await expect(hub).toHaveAttribute('data-hub-state', 'offline', { timeout: 15_000 });
    await expect(hub).toContainText(/Hub: unreachable – \d+ events? waiting/, { timeout: 15_000 });
    await expect(hub.locator('.hub-link__error')).toContainText('Last error:');
  });
});
