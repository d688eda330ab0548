import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { AppError } from '../../shared/contract/errors.js';
import { createHubServer } from '../../main/hub/hub-server.js';
import type { HubStore } from '../../main/hub/hub-store.js';
import { HubLibraryClient } from '../../main/library/hub-library-client.js';
import { LibraryService } from '../../main/library/library-service.js';
import { silentLogger } from '../../main/logging/logger.js';
import { StationStore } from '../../main/store/station-store.js';
import { writeIpa } from '../fixtures/library-files.js';
import { tempDir, testBlueprint } from '../fixtures/store-helpers.js';
import { describeEachDb, openTestStore } from './hub-helpers.js';

describeEachDb('a station fetches a library item it misses from its hub', (db) => {
  let store: HubStore;
  let closeStore: () => Promise<void>;
  let app: FastifyInstance;
  let hubUrl: string;
  let stationToken: string;
  let adminToken: string;
  let dir: { dir: string; cleanup: () => void };
  let ipa: Buffer;
  let sha: string;
  const stations: StationStore[] = [];

  beforeEach(async () => {
    dir = tempDir('benchline-libhub-');
    const opened = await openTestStore(db);
    store = opened.store;
    closeStore = opened.close;
    stationToken = (await store.registerStation('Bench 1')).token;
    await store.upsertUser('root', 'admin-pass-12345', 'admin');
    fs.mkdirSync(path.join(dir.dir, 'hub'));
    app = await createHubServer({ store, logger: silentLogger, version: 'test', rendererDir: null, listenUrl: null, dataDir: path.join(dir.dir, 'hub') });
    hubUrl = await app.listen({ port: 0, host: '127.0.0.1' });
    adminToken = (
      await (
        await fetch(`${hubUrl}/api/v1/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'root', password: 'admin-pass-12345' }),
        })
      ).json()
    ).token;
    const file = await writeIpa(path.join(dir.dir, 'Pages.ipa'), {
      CFBundleIdentifier: 'com.apple.Pages',
      CFBundleShortVersionString: '14.1',
      MinimumOSVersion: '16.0',
    });
    ipa = fs.readFileSync(file);
    sha = createHash('sha256').update(ipa).digest('hex');
  });
  afterEach(async () => {
    for (const s of stations.splice(0)) s.close();
    await app.close();
    await closeStore();
    dir.cleanup();
  });

  const put = (hash: string, body: Buffer, token = adminToken) =>
    fetch(`${hubUrl}/api/v1/library/${hash}?name=Pages.ipa`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      body: new Uint8Array(body),
    });

  function station(name: string): LibraryService {
    const d = path.join(dir.dir, name);
    const s = new StationStore(path.join(d, 'station.db'));
    stations.push(s);
    return new LibraryService(s.db, d);
  }

  it('an admin puts an item once; a station lists it and fetches what its blueprint misses', async () => {
    expect((await put(sha, ipa)).status).toBe(201);
    expect((await put(sha, ipa)).status).toBe(200);
    const wrong = await put('0'.repeat(64), ipa);
    expect(wrong.status).toBe(400);
    expect((await wrong.json()).error.message).toContain(sha);
    expect((await put(sha, ipa, stationToken)).status).toBe(401);
    expect((await fetch(`${hubUrl}/api/v1/library`, { headers: { authorization: 'Bearer not-a-station' } })).status).toBe(401);

    const library = station('s1');
    const bp = testBlueprint([{ id: 'a', type: 'install-app', params: { app: 'com.apple.Pages' } }]);
    const missing = library.missingFor(bp);
    expect(missing).toHaveLength(1);
    const client = new HubLibraryClient({ library, hubUrl, token: stationToken, logger: silentLogger });
    const [item] = await client.fetchMissingNow(missing);
    expect(item).toMatchObject({ kind: 'ipa', identifier: 'com.apple.Pages', version: '14.1', sha256: sha });
    expect(library.missingFor(bp)).toEqual([]);
    expect(fs.readFileSync(library.content.pathOf(sha))).toEqual(ipa);
  });

  it('resumes a broken download with Range and verifies the whole file', async () => {
    expect((await put(sha, ipa)).status).toBe(201);
    const library = station('s2');
    const partial = path.join(library.content.dir, `.partial-${sha}`);
    const half = Math.floor(ipa.length / 2);
    fs.writeFileSync(partial, ipa.subarray(0, half));
    const ranges: (string | null)[] = [];
    const recording: typeof fetch = (input, init) => {
      ranges.push(new Headers(init?.headers).get('range'));
      return fetch(input, init);
    };
    const client = new HubLibraryClient({ library, hubUrl, token: stationToken, logger: silentLogger, fetch: recording });
    const item = await client.download({ sha256: sha, fileName: 'Pages.ipa' });
    expect(ranges).toEqual([`bytes=${half}-`]);
    expect(item.sha256).toBe(sha);
    expect(fs.existsSync(partial)).toBe(false);
    expect(fs.readFileSync(library.content.pathOf(sha))).toEqual(ipa);
  });

  it('throws away a download whose hash is wrong (a damaged partial file) and stores nothing', async () => {
    expect((await put(sha, ipa)).status).toBe(201);
    const library = station('s3');
    const partial = path.join(library.content.dir, `.partial-${sha}`);
    fs.writeFileSync(partial, Buffer.alloc(100, 0xee));
    const client = new HubLibraryClient({ library, hubUrl, token: stationToken, logger: silentLogger });
    const err = await client.download({ sha256: sha, fileName: 'Pages.ipa' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).text?.code).toBe('library.hash-mismatch');
    expect(fs.existsSync(partial)).toBe(false);
    expect(library.list()).toEqual([]);
    // The next attempt starts over and succeeds.
    expect((await client.download({ sha256: sha, fileName: 'Pages.ipa' })).sha256).toBe(sha);
  });
});
