import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiErrorSchema } from '../../shared/contract/errors.js';
import type { DeviceView } from '../../shared/contract/station-api.js';
import { tempDir } from '../fixtures/store-helpers.js';
import { requireBuild, startStation, stopStation, waitFor, type StationProcess } from './station-process.js';

let tmp: ReturnType<typeof tempDir>;
let station: StationProcess;

beforeAll(async () => {
  requireBuild();
  tmp = tempDir('benchline-api-');
  station = await startStation(tmp.dir, ['--simulate', '0', '--sim-speed', '1000', '--sim-seed', '3']);
});
afterAll(async () => {
  if (station) await stopStation(station);
  tmp?.cleanup();
});

async function raw(route: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
  const res = await fetch(station.baseUrl + route, init);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON: the assertion on the shape will say so */
  }
  return { status: res.status, body };
}

function expectError(res: { status: number; body: unknown }, status: number, code: string): void {
  expect(res.status).toBe(status);
  const parsed = apiErrorSchema.strict().safeParse(res.body);
  expect(parsed.success, JSON.stringify(res.body)).toBe(true);
  expect(parsed.data!.error.code).toBe(code);
  expect(parsed.data!.error.message.length).toBeGreaterThan(0);
}

describe('authentication', () => {
  it('health answers without a token', async () => {
    const res = await raw('/api/v1/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, version: expect.any(String), stationId: expect.any(String) });
  });

  it.each([
    ['no token', {}],
    ['a wrong token', { authorization: 'Bearer not-the-token' }],
    ['the token with a suffix', () => ({ authorization: `Bearer ${station.token}x` })],
    ['the token without "Bearer"', () => ({ authorization: station.token })],
  ])('every other route answers 401 to %s', async (_what, headers) => {
    const h = typeof headers === 'function' ? headers() : headers;
    for (const [method, route] of [
      ['GET', '/api/v1/devices'],
      ['GET', '/api/v1/runs'],
      ['GET', '/api/v1/shifts'],
      ['POST', '/api/v1/simulator/devices'],
      ['GET', '/api/v1/events'],
    ] as const) {
      const res = await raw(route, {
        method,
        headers: { ...h, ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) },
        body: method === 'POST' ? JSON.stringify({ count: 1 }) : undefined,
      });
      expectError(res, 401, 'unauthorized');
    }
    // Nothing was plugged by the refused POST.
    expect((await station.api<DeviceView[]>('GET', '/api/v1/devices')).body).toEqual([]);
  });

  it('the right token is accepted', async () => {
    const res = await station.api('GET', '/api/v1/devices');
    expect(res.status).toBe(200);
  });
});

describe('errors', () => {
  it('an unknown route is a 404 with the error shape', async () => {
    expectError(await station.api('GET', '/api/v1/no-such-thing'), 404, 'not_found');
  });

  it('malformed JSON is a 400 with the error shape', async () => {
    expectError(await station.api('POST', '/api/v1/shifts', '{"operators": ["Ana"'), 400, 'bad_request');
    expectError(await station.api('POST', '/api/v1/simulator/devices', '{count: 1}'), 400, 'bad_request');
  });

  it('retry and cancel of an unknown run are 404', async () => {
    expectError(await station.api('POST', '/api/v1/runs/no-such-run/retry'), 404, 'not_found');
    expectError(await station.api('POST', '/api/v1/runs/no-such-run/cancel'), 404, 'not_found');
  });

  it('a shift without operators is refused', async () => {
    expectError(await station.api('POST', '/api/v1/shifts', { operators: [] }), 400, 'bad_request');
    expectError(await station.api('POST', '/api/v1/shifts', { operators: ['Ana'], extra: true }), 400, 'bad_request');
  });

  it.each([
    ['count 0', { count: 0 }],
    ['count as text', { count: '3' }],
    ['count too large', { count: 100_000 }],
    ['no count', {}],
    ['an unknown field', { count: 2, colour: 'red' }],
    ['an unknown model', { count: 2, model: 'Nokia 3310' }],
    ['an array', [1, 2]],
  ])('plugging simulated devices with %s is a 400 and plugs nothing', async (_what, body) => {
    expectError(await station.api('POST', '/api/v1/simulator/devices', body), 400, 'bad_request');
    expect((await station.api<DeviceView[]>('GET', '/api/v1/devices')).body).toEqual([]);
  });

  it('a body over the limit is refused', async () => {
    const res = await station.api('POST', '/api/v1/simulator/devices', JSON.stringify({ count: 1, model: 'x'.repeat(2_000_000) }));
    expect(res.status).toBe(413);
    expect(apiErrorSchema.safeParse(res.body).success).toBe(true);
  });
});

/** Reads Server-Sent Events until `until` says stop. */
function readEvents(until: (events: { id: number; event: string; data: unknown }[]) => boolean, timeoutMs = 30_000) {
  return new Promise<{ id: number; event: string; data: unknown }[]>((resolve, reject) => {
    const url = new URL('/api/v1/events', station.baseUrl);
    const events: { id: number; event: string; data: unknown }[] = [];
    const req = http.get(url, { headers: { authorization: `Bearer ${station.token}` } }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`SSE answered ${res.statusCode}`));
        return;
      }
      expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
      let buffer = '';
      res.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = Object.fromEntries(
            block
              .split('\n')
              .filter((l) => !l.startsWith(':') && l.includes(':'))
              .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]),
          );
          if (fields.data === undefined) continue;
          events.push({ id: Number(fields.id), event: String(fields.event), data: JSON.parse(String(fields.data)) });
          if (until(events)) {
            clearTimeout(timer);
            req.destroy();
            resolve(events);
            return;
          }
        }
      });
    });
    req.on('error', (err) => {
      if (!req.destroyed) reject(err);
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`SSE: no end after ${timeoutMs} ms; got ${JSON.stringify(events.map((e) => e.data)).slice(0, 2000)}`));
    }, timeoutMs);
    // Plug a device once the stream is open.
    req.on('response', () => {
      setTimeout(() => void station.api('POST', '/api/v1/simulator/devices', { count: 1, model: 'iPad (10th generation)' }), 50);
    });
  });
}

describe('server-sent events', () => {
  it('delivers every committed transition of a run, in order, to the done state', async () => {
    type T = { runId: string; serial: string; state: string; step: string | null; events: { kind: string; step: string | null }[] };
    const events = await readEvents((list) => list.some((e) => (e.data as T).state === 'done'));
    const transitions = events.map((e) => e.data as T);
    expect(events.every((e) => e.event === 'transition')).toBe(true);
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    const serials = new Set(transitions.map((t) => t.serial));
    expect(serials.size).toBe(1);
    expect(transitions[0]!.state).toBe('queued');
    expect(transitions[0]!.events.map((e) => e.kind)).toEqual(['created']);
    expect(transitions.at(-1)!.state).toBe('done');
    // The stream holds the same step events the run's detail shows, in the same order.
    const runId = transitions[0]!.runId;
    const detail = await station.api<{ events: { kind: string; step: string | null }[] }>('GET', `/api/v1/runs/${runId}`);
    expect(detail.status).toBe(200);
    expect(transitions.flatMap((t) => t.events.map((e) => `${e.kind} ${e.step}`))).toEqual(detail.body.events.map((e) => `${e.kind} ${e.step}`));
    // The device is listed as done, and a technician action on the finished run is a conflict.
    const device = await waitFor(
      'device listed done',
      async () => {
        const list = (await station.api<DeviceView[]>('GET', '/api/v1/devices')).body;
        return list.find((d) => d.runId === runId && d.state === 'done');
      },
      10_000,
    );
    expect(device.progress).toBe(1);
    expectError(await station.api('POST', `/api/v1/runs/${runId}/retry`), 409, 'conflict');
    // And it is in the current shift's runs.
    const runs = await station.api<{ runId: string; state: string }[]>('GET', '/api/v1/runs');
    expect(runs.body.find((r) => r.runId === runId)?.state).toBe('done');
  });
});
