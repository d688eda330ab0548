import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHubServer } from '../../main/hub/hub-server.js';
import { HubStore } from '../../main/hub/hub-store.js';
import { isUsableUserName, normalUserName } from '../../main/hub/auth/user-name.js';
import { silentLogger } from '../../main/logging/logger.js';
import { cli } from './hub-processes.js';
import { requireBuild } from './station-process.js';

// Issue 13, item 6: supervisors are people, "Anna Schulz" is a user name. `hub add-user` takes it,
// and the hub's login finds it however the spaces were typed.

describe('hub user names with spaces', () => {
  let dir: string;
  beforeEach(() => {
    requireBuild();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchline-hub-users-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the rule: single spaces between words, nothing that is not a name', () => {
    expect(normalUserName('  Anna   Schulz ')).toBe('Anna Schulz');
    expect(normalUserName('Jo\u0308rg Mu\u0308ller')).toBe('Jörg Müller');
    for (const ok of ['Anna Schulz', 'maria', 'Hans-Peter Öztürk', 'j.doe@stadt.example', 'Anna Maria von Berg']) expect(isUsableUserName(ok), ok).toBe(true);
    for (const bad of ['', ' Anna', 'Anna ', 'Anna\tSchulz', 'Anna\u0000', '-anna', 'x'.repeat(65), 'Anna  Schulz'])
      expect(isUsableUserName(bad), JSON.stringify(bad)).toBe(false);
  });

  it('hub add-user "Anna Schulz" is stored, and the login finds her with the name as typed', async () => {
    const added = cli(['hub', 'add-user', '  Anna   Schulz', '--role', 'supervisor', '--data-dir', dir, '--password-stdin'], 'anna-password-1\n');
    expect(added.stderr).toContain('Anna Schulz');
    expect(added.status).toBe(0);
    const refused = cli(['hub', 'add-user', 'Anna\tSchulz', '--role', 'supervisor', '--data-dir', dir, '--password-stdin'], 'anna-password-1\n');
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('single spaces between words');

    const store = await HubStore.open({ dataDir: dir, db: undefined });
    const app = await createHubServer({
      store,
      logger: silentLogger,
      version: 'test',
      rendererDir: null,
      listenUrl: null,
      limits: { loginPerMinute: 20 },
      live: { minIntervalMs: 50, refreshMs: 60_000 },
    });
    try {
      for (const typed of ['Anna Schulz', 'Anna  Schulz ']) {
        const res = await app.inject({ method: 'POST', url: '/api/v1/login', payload: { username: typed, password: 'anna-password-1' } });
        expect(res.statusCode, typed).toBe(200);
        expect(res.json()).toMatchObject({ username: 'Anna Schulz', role: 'supervisor' });
      }
      const wrong = await app.inject({ method: 'POST', url: '/api/v1/login', payload: { username: 'Anna', password: 'anna-password-1' } });
      expect(wrong.statusCode).toBe(401);
    } finally {
      await app.close();
      await store.close();
    }
  });
});
