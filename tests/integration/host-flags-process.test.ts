import dns from 'node:dns/promises';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from './hub-helpers.js';
import { cli, start, type Child } from './hub-processes.js';
import { rawRequest } from './security-probes.js';

/**
 * Issue 8 item 2 from the command line: a station or hub started with `--host NAME` or
 * `--allowed-host NAME` answers browsers that use that name as Host, and still refuses any other
 * name with 421 (DNS rebinding). The built CLI runs as a child process, as an operator starts it.
 */
const children: Child[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) await c.kill('SIGTERM');
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function dir(prefix: string): string {
  const d = tempDir(prefix);
  dirs.push(d);
  return d;
}

/** This machine's own name when it resolves to a loopback address (so the test listens on loopback only). */
async function loopbackHostName(): Promise<string | null> {
  for (const name of [os.hostname(), 'localhost.localdomain']) {
    if (!name || name.toLowerCase() === 'localhost') continue;
    const found = await dns.lookup(name, { family: 4 }).catch(() => null);
    if (found?.address.startsWith('127.')) return name;
  }
  return null;
}

async function startStation(args: string[]): Promise<{ port: number; token: string }> {
  const data = path.join(dir('hosts-station'), 'data');
  const { child, match } = await start(['station', '--headless', '--data-dir', data, '--port', '0', ...args], /UI: +http:\/\/\S+?:(\d+)\/#token=(\S+)/);
  children.push(child);
  return { port: Number(match[1]), token: match[2]! };
}

const devices = (port: number, token: string, host: string) =>
  rawRequest(port, 'GET', '/api/v1/devices', { host: `${host}:${port}`, authorization: `Bearer ${token}` });

describe('station --host / --allowed-host', () => {
  it('answers the name given as --host (not only loopback names) and refuses any other Host with 421', async (ctx) => {
    const name = await loopbackHostName();
    if (!name) {
      ctx.skip(
        `neither "${os.hostname()}" nor localhost.localdomain resolves to 127.x here, so no station can be started on a non-loopback-looking name that stays on loopback`,
      );
      return;
    }
    const { port, token } = await startStation(['--host', name]);
    const own = await devices(port, token, name);
    expect(own.status, own.body).toBe(200);
    expect(Array.isArray(JSON.parse(own.body))).toBe(true);
    expect((await devices(port, token, name.toUpperCase())).status).toBe(200);
    const evil = await devices(port, token, 'evil.example');
    expect(evil.status).toBe(421);
    expect(JSON.parse(evil.body)).toMatchObject({ error: { code: 'misdirected_request' } });
    // An Origin of the station's own name is its own page; another origin is still refused.
    expect(
      (await rawRequest(port, 'GET', '/api/v1/devices', { host: `${name}:${port}`, origin: `http://${name}:${port}`, authorization: `Bearer ${token}` }))
        .status,
    ).toBe(200);
    expect(
      (await rawRequest(port, 'GET', '/api/v1/devices', { host: `${name}:${port}`, origin: 'http://evil.example', authorization: `Bearer ${token}` })).status,
    ).toBe(403);
  }, 60_000);

  it('answers each --allowed-host name (a reverse proxy in front) besides loopback, nothing else', async () => {
    const { port, token } = await startStation(['--host', '127.0.0.1', '--allowed-host', 'bench1.example', '--allowed-host', 'bench1.proxy.example']);
    expect((await devices(port, token, 'bench1.example')).status).toBe(200);
    expect((await devices(port, token, 'bench1.proxy.example')).status).toBe(200);
    expect((await devices(port, token, '127.0.0.1')).status).toBe(200);
    expect((await devices(port, token, 'evil.example')).status).toBe(421);
    expect((await devices(port, token, 'bench2.example')).status).toBe(421);
  }, 60_000);

  it('refuses an --allowed-host with a scheme or port before it starts (exit 2)', () => {
    for (const bad of ['http://bench1.example', 'bench1.example:8080', 'bench 1']) {
      const r = cli(['station', '--headless', '--data-dir', path.join(dir('hosts-bad'), 'data'), '--port', '0', '--allowed-host', bad]);
      expect(r.status, bad).toBe(2);
      expect(r.stderr).toContain('--allowed-host');
    }
  }, 60_000);
});

describe('hub --allowed-host and BENCHLINE_HUB_HOSTS', () => {
  it('answers names from both and refuses any other name with 421', async () => {
    const { child, match } = await start(
      ['hub', '--data-dir', dir('hosts-hub'), '--port', '0', '--allowed-host', 'hub.example.org'],
      /Dashboard: http:\/\/\S+?:(\d+)\//,
      {
        BENCHLINE_HUB_HOSTS: 'hub-env.example.org',
      },
    );
    children.push(child);
    const port = Number(match[1]);
    // Without a session a supervisor route answers 401: the Host passed, authentication decided.
    const stations = (host: string) => rawRequest(port, 'GET', '/api/v1/stations', { host });
    expect((await stations('hub.example.org')).status).toBe(401);
    expect((await stations('hub-env.example.org')).status).toBe(401);
    expect((await stations('evil.example')).status).toBe(421);
    const bad = cli(['hub', '--data-dir', dir('hosts-hub-bad'), '--port', '0', '--allowed-host', 'hub.example.org:443']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--allowed-host');
  }, 60_000);
});
