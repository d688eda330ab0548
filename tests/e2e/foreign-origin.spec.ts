import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test } from './station-fixture.js';

// A page served from another loopback port (any web page in the technician's browser) and a
// DNS-rebound name for 127.0.0.1 must get nothing from the station, even knowing its token.
test.use({
  launchOptions: {
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--host-resolver-rules=MAP rebind.test 127.0.0.1'],
  },
});

async function foreignSite(html: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(html));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, close: () => new Promise((r) => server.close(() => r())) };
}

test('a page on another loopback port can neither drive nor read the station', async ({ page, station }) => {
  const site = await foreignSite('<!doctype html><title>elsewhere</title>');
  try {
    await page.goto(site.url);
    const outcome = await page.evaluate(
      async ({ origin, token }) => {
        const ws = await new Promise<string>((resolve) => {
          const s = new WebSocket(`${origin.replace('http', 'ws')}/api/v1/ws?token=${encodeURIComponent(token)}`);
          s.onopen = () => resolve('opened');
          s.onclose = () => resolve('refused');
        });
        const read = await fetch(`${origin}/api/v1/devices`, { headers: { authorization: `Bearer ${token}` } }).then(
          () => 'read',
          () => 'blocked',
        );
        // A "simple" request needs no preflight: it reaches the server, which must refuse it.
        const write = await fetch(`${origin}/api/v1/shifts`, {
          method: 'POST',
          mode: 'no-cors',
          headers: { 'content-type': 'text/plain' },
          body: '{"operators":["Mallory"]}',
        }).then(
          () => 'sent',
          () => 'blocked',
        );
        const encoded = await fetch(`${origin}/%61pi/v1/devices`).then(
          (r) => r.status,
          () => 'blocked',
        );
        return { ws, read, write, encoded };
      },
      { origin: station.origin, token: station.token },
    );
    expect(outcome.ws).toBe('refused');
    expect(outcome.read).toBe('blocked');
    expect(outcome.encoded).toBe('blocked');
    // Whatever went out, the station did nothing.
    expect(await station.api<unknown[]>('GET', 'shifts')).toEqual([]);
  } finally {
    await site.close();
  }
});

test('a DNS-rebound name for 127.0.0.1 gets 421, not the station', async ({ page, station }) => {
  const res = await page.goto(`http://rebind.test:${station.port}/`);
  expect(res?.status()).toBe(421);
  const api = await page.evaluate(async (token) => (await fetch('/api/v1/devices', { headers: { authorization: `Bearer ${token}` } })).status, station.token);
  expect(api).toBe(421);
});

test("the station's own page still connects with its token", async ({ page, station }) => {
  await page.goto(station.url);
  await expect(page.locator('.conn')).toHaveAttribute('data-connection', 'online');
});
