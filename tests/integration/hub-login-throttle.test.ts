import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ACCOUNT_MAX_MS, FREE_FAILURES, LoginThrottle } from '../../main/hub/auth/login-throttle.js';
import { createHubServer } from '../../main/hub/hub-server.js';
import type { HubStore } from '../../main/hub/hub-store.js';
import { silentLogger } from '../../main/logging/logger.js';
import { openTestStore } from './hub-helpers.js';

let store: HubStore;
let close: () => Promise<void>;
let app: FastifyInstance;
let clock = Date.parse('2026-03-02T08:00:00.000Z');

beforeEach(async () => {
  const opened = await openTestStore('sqlite');
  store = opened.store;
  close = opened.close;
  await store.upsertUser('maria', 'supervisor-pass-1', 'supervisor');
  // A generous per-address limit, so the per-account backoff is what answers here.
  app = await createHubServer({
    store,
    logger: silentLogger,
    version: 'test',
    rendererDir: null,
    listenUrl: null,
    limits: { loginPerMinute: 1000 },
    loginThrottle: new LoginThrottle({ now: () => clock }),
  });
});
afterEach(async () => {
  await app.close();
  await close();
});

const login = (password: string, remoteAddress: string, username = 'maria') =>
  app.inject({ method: 'POST', url: '/api/v1/login', payload: { username, password }, remoteAddress });

it('backs an account off after repeated wrong passwords from one address, but lets the right password in from another address after the short wait', async () => {
  const statuses: number[] = [];
  // The attacker at X waits out every backoff and guesses again, twenty times.
  for (let i = 0; i < 20; i++) {
    const res = await login(`guess-${i}`, '10.0.0.66');
    statuses.push(res.statusCode);
    if (res.statusCode === 429) {
      expect(res.json()).toMatchObject({ error: { code: 'rate_limited' } });
      clock += Number(res.headers['retry-after']) * 1000;
    }
  }
  expect(statuses.slice(0, FREE_FAILURES)).toEqual(new Array(FREE_FAILURES).fill(401));
  expect(statuses[FREE_FAILURES]).toBe(429);

  // Right after X's last guess, the account is held back for everyone, at most the short wait.
  await login('guess-last', '10.0.0.66');
  const held = await login('supervisor-pass-1', '10.0.0.7');
  expect(held.statusCode).toBe(429);
  const retryAfter = Number(held.headers['retry-after']);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter * 1000).toBeLessThanOrEqual(ACCOUNT_MAX_MS);
  clock += retryAfter * 1000;
  // The supervisor at Y gets in; X is still held back far longer.
  expect((await login('supervisor-pass-1', '10.0.0.7')).statusCode).toBe(200);
  const x = await login('guess-after', '10.0.0.66');
  expect(x.statusCode).toBe(429);
  expect(Number(x.headers['retry-after'])).toBeGreaterThan(ACCOUNT_MAX_MS / 1000);
  // Other accounts are not affected.
  expect((await login('whatever-1', '10.0.0.66', 'someone-else')).statusCode).toBe(401);
});

it('keeps the per-address limit', async () => {
  const strict = await createHubServer({
    store,
    logger: silentLogger,
    version: 'test',
    rendererDir: null,
    listenUrl: null,
    limits: { loginPerMinute: 3 },
    loginThrottle: new LoginThrottle({ now: () => clock }),
  });
  try {
    const statuses: number[] = [];
    // Different accounts each time: only the per-address limit can stop the fourth.
    for (let i = 0; i < 4; i++) {
      statuses.push(
        (await strict.inject({ method: 'POST', url: '/api/v1/login', payload: { username: `user-${i}`, password: 'x-password' }, remoteAddress: '10.0.0.9' }))
          .statusCode,
      );
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
  } finally {
    await strict.close();
  }
});
