import { expect, openUi, scan, test, tile } from './station-fixture.js';

// Issue 13, item 3: sign-in by keyboard, and a station policy so that every run has a responsible
// technician (the default: devices wait with "Please sign in" while nobody is signed in).

test.use({ stationOptions: { simSpeed: 1000, simulate: 0, signInPolicy: 'wait' } });

test('Enter in the sign-in dialog does what its hints say: a name is added, Enter on the empty fields signs in; a registered badge alone signs in at once', async ({
  page,
  station,
}) => {
  await openUi(page, station);
  await page.getByRole('button', { name: 'Open shift' }).click();
  const dialog = page.getByRole('dialog', { name: 'Open a shift' });
  const name = dialog.getByRole('textbox', { name: /^Name/ });
  await expect(name).toBeFocused();
  await name.pressSequentially('Jana Wolff');
  await name.press('Enter');
  await expect(dialog.locator('.chip')).toHaveText('Jana Wolff');
  await expect(name).toHaveValue('');
  // The fields are empty now: Enter opens the shift (it did nothing before, the Add button being disabled).
  await name.press('Enter');
  await expect(dialog).toHaveCount(0);
  await expect(page.locator('.shift__names')).toHaveText('Jana Wolff');

  // A badge registered once signs in alone: scanned into the badge field, its Enter signs in.
  await station.api('POST', 'operators/sign-in', { name: 'Ben Okafor', badge: 'B-0815' });
  await station.api('POST', 'operators/sign-out', { name: 'Ben Okafor' });
  await page.locator('.shift').getByRole('button', { name: 'Sign in' }).click();
  const signIn = page.getByRole('dialog', { name: 'Sign in to the shift' });
  await signIn.getByRole('textbox', { name: /^Scan badge/ }).focus();
  await scan(page, 'B-0815');
  await expect(signIn).toHaveCount(0);
  await expect(page.locator('.shift__names')).toHaveText('Jana Wolff, Ben Okafor');

  // A badge nobody registered, scanned on the grid, is named as such (it used to say only "no device").
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await scan(page, 'B-9999');
  await expect(page.locator('.notice--error')).toContainText('No device “B-9999” on this station – nor a known badge, order or unit.');
  await expect(page.locator('.notice--error')).toContainText('A new badge? Scan it once under “Sign in”, with your name.');
});

test('while nobody is signed in devices wait with "Please sign in"; a sign-in starts them under that name; "run anyway" lets them run unattended', async ({
  page,
  station,
}) => {
  await openUi(page, station);
  const [first] = await station.plug(1);
  await expect(tile(page, first!)).toHaveAttribute('data-state', 'blocked');
  await expect(tile(page, first!).locator('.tile__instruction')).toHaveText('Please sign in: scan your badge and the device starts.');
  await expect(page.getByTestId('shift')).toContainText('Please sign in: scan your badge');
  await expect(page.locator('.attention')).toHaveText('1 needs you');
  expect(await station.api('GET', 'shifts')).toEqual([]);

  // A badge scanned on the grid signs in (registered before); the waiting device starts at once.
  await station.api('PUT', 'settings/sign-in-policy', { policy: 'run' });
  await station.api('POST', 'operators/sign-in', { name: 'Jana Wolff', badge: 'B-2207' });
  await station.api('POST', 'operators/sign-out', { name: 'Jana Wolff' });
  await station.api('PUT', 'settings/sign-in-policy', { policy: 'wait' });
  await expect(tile(page, first!)).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
  const [second] = await station.plug(1);
  await expect(tile(page, second!)).toHaveAttribute('data-state', 'blocked');
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await scan(page, 'B-2207');
  await expect(page.getByText('Jana Wolff signed in.')).toBeVisible();
  await expect(tile(page, second!)).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
  // The run names who was signed in when it started.
  const csv = await fetch(`${station.origin}/api/v1/shifts/current/export?format=csv`, { headers: { authorization: `Bearer ${station.token}` } });
  expect(await csv.text()).toMatch(new RegExp(`${second},[^\\n]*,Jana Wolff,`));

  // The policy in the shift schedule dialog: "run anyway" starts devices with nobody signed in.
  await station.api('POST', 'operators/sign-out', { name: 'Jana Wolff' });
  const [third] = await station.plug(1);
  await expect(tile(page, third!)).toHaveAttribute('data-state', 'blocked');
  await page.getByRole('button', { name: 'Shift schedule' }).click();
  const dialog = page.getByRole('dialog', { name: 'Shift schedule' });
  const policy = dialog.getByTestId('sign-in-policy');
  await expect(policy.getByRole('radio', { name: /devices wait/ })).toBeChecked();
  await policy.getByRole('radio', { name: /devices run anyway/ }).check();
  await expect(page.getByText('Saved: devices run without a sign-in too.')).toBeVisible();
  await expect(tile(page, third!)).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
  expect(await station.api('GET', 'settings/sign-in-policy')).toEqual({ policy: 'run' });
});
