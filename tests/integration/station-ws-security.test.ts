import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startStation, type RunningStation } from '../../main/station/start-station.js';
import { tempDir } from '../fixtures/store-helpers.js';
import { pathVariants } from './security-probes.js';

let station: RunningStation;
let tmp: ReturnType<typeof tempDir>;
let port: number;

beforeAll(async () => {
  tmp = tempDir('benchline-wssec-');
  station = await startStation({
    dataDir: tmp.dir,
    host: '127.0.0.1',
    port: 0,
    drivers: ['sim'],
    simulate: 0,
    simSpeed: 1000,
    simFailRate: 0,
    simSeed: 1,
    blueprintFiles: [],
    rendererDir: null,
    resourcesDir: path.resolve(import.meta.dirname, '../../resources'),
    version: 'test',
  });
  port = Number(new URL(station.url).port);
}, 30_000);
afterAll(async () => {
  await station?.close();
  tmp?.cleanup();
});

/** Opens a WebSocket and reports what happened: opened (and answered a call), or the HTTP status it was refused with. */
function connect(pathAndQuery: string, headers: Record<string, string> = {}): Promise<{ opened: boolean; status: number | null; snapshot: boolean }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${pathAndQuery}`, { headers });
    ws.on('unexpected-response', (_req, res) => {
      resolve({ opened: false, status: res.statusCode ?? null, snapshot: false });
      ws.terminate();
    });
    ws.on('error', () => resolve({ opened: false, status: null, snapshot: false }));
    ws.on('open', () => ws.send(JSON.stringify({ kind: 'call', id: 1, method: 'snapshot', params: {} })));
    ws.on('message', (data: Buffer) => {
      const frame = JSON.parse(String(data)) as { kind: string; id?: number; ok?: boolean };
      if (frame.kind === 'result' && frame.id === 1) {
        resolve({ opened: true, status: 101, snapshot: frame.ok === true });
        ws.close();
      }
    });
  });
}

describe('station WebSocket', () => {
  const wsRoutes = () => (station.server.stationRoutes ?? []).filter((r) => r.websocket && r.method === 'GET');

  it('the WebSocket routes come from the server', () => {
    expect(wsRoutes().map((r) => r.url)).toEqual(['/api/v1/ws']);
  });

  it('opens with the token from its own page, from app://station and from scripts without Origin', async () => {
    const q = `?token=${encodeURIComponent(station.token)}`;
    for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`, 'app://station', undefined]) {
      const r = await connect(`/api/v1/ws${q}`, origin ? { origin } : {});
      expect(r, String(origin)).toEqual({ opened: true, status: 101, snapshot: true });
    }
  });

  it('refuses a missing or wrong token, on every spelling of the path', async () => {
    for (const route of wsRoutes()) {
      for (const p of [{ name: 'plain', path: route.url }, ...pathVariants(route.url)]) {
        expect(await connect(p.path), `${p.name} no token`).toMatchObject({ opened: false, status: 401 });
        expect(await connect(`${p.path}?token=wrong`), `${p.name} wrong token`).toMatchObject({ opened: false, status: 401 });
      }
    }
  });

  it('refuses pages of other origins and rebound host names, even when they know the token', async () => {
    const q = `/api/v1/ws?token=${encodeURIComponent(station.token)}`;
    for (const origin of [
      'http://evil.example',
      `http://127.0.0.1:${port + 1}`,
      `http://localhost:${port + 1}`,
      'null',
      'app://evil',
      `https://127.0.0.1:${port}`,
    ]) {
      expect(await connect(q, { origin }), origin).toMatchObject({ opened: false, status: 403 });
    }
    for (const host of [`evil.example:${port}`, `127.0.0.1.nip.io:${port}`, `127.0.0.1:${port + 1}`]) {
      expect(await connect(q, { host, origin: `http://${host}` }), host).toMatchObject({ opened: false, status: 421 });
    }
  });
});
