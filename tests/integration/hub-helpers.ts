import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, it } from 'vitest';
import { HubStore } from '../../main/hub/hub-store.js';

export type TestDb = 'sqlite' | 'postgres';

/** BENCHLINE_TEST_PG_URL, as .ci/run exports it (role benchline, database benchline_test). */
export function pgTestUrl(): string | null {
  return process.env.BENCHLINE_TEST_PG_URL || null;
}

/**
 * Runs a suite once per database. Without BENCHLINE_TEST_PG_URL the PostgreSQL half fails in CI
 * (a CI that silently skips it would hide a broken hub) and is skipped with a reason elsewhere.
 */
export function describeEachDb(name: string, body: (db: TestDb) => void): void {
  describe(`${name} [sqlite]`, () => body('sqlite'));
  if (pgTestUrl()) {
    describe(`${name} [postgres]`, () => body('postgres'));
  } else if (process.env.CI) {
    describe(`${name} [postgres]`, () => {
      it('needs PostgreSQL', () => {
        throw new Error(
          'BENCHLINE_TEST_PG_URL is not set: .ci/run must start PostgreSQL and export it (postgres://benchline:...@127.0.0.1:5432/benchline_test).',
        );
      });
    });
  } else {
    process.stdout.write(`skipping "${name} [postgres]": BENCHLINE_TEST_PG_URL is not set (start PostgreSQL and export it to run this half).\n`);
  }
}

/** A suite only PostgreSQL can run (several hub instances on one database); same CI rule as above. */
export function describePostgres(name: string, body: () => void): void {
  if (pgTestUrl()) {
    describe(`${name} [postgres]`, body);
  } else if (process.env.CI) {
    describe(`${name} [postgres]`, () => {
      it('needs PostgreSQL', () => {
        throw new Error('BENCHLINE_TEST_PG_URL is not set: .ci/run must start PostgreSQL and export it.');
      });
    });
  } else {
    process.stdout.write(`skipping "${name} [postgres]": BENCHLINE_TEST_PG_URL is not set.\n`);
  }
}

/** A fresh schema in the test database; the URL selects it with search_path. */
export async function freshPgSchema(): Promise<{ url: string; drop(): Promise<void> }> {
  const base = pgTestUrl();
  if (!base) throw new Error('BENCHLINE_TEST_PG_URL is not set');
  const schema = `t_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    },
  };
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `benchline-${prefix}-`));
}

/** A hub store on an empty database of the given kind; close() removes it. */
export async function openTestStore(db: TestDb): Promise<{ store: HubStore; dbUrl: string | undefined; dataDir: string; close(): Promise<void> }> {
  const dataDir = tempDir('hub');
  if (db === 'sqlite') {
    const store = await HubStore.open({ dataDir });
    return {
      store,
      dbUrl: undefined,
      dataDir,
      async close() {
        await store.close();
        fs.rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const schema = await freshPgSchema();
  const store = await HubStore.open({ db: schema.url, dataDir });
  return {
    store,
    dbUrl: schema.url,
    dataDir,
    async close() {
      await store.close();
      await schema.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A process scenario's footing: a temp root and, on PostgreSQL, a fresh schema, with the `--db`
 * arguments for the hub's command line. `cleanups` runs them after the test.
 */
export async function scenarioFooting(
  db: TestDb,
  prefix: string,
  cleanups: (() => Promise<void> | void)[],
): Promise<{ root: string; dbArgs: string[]; dbUrl: string | undefined }> {
  const root = tempDir(prefix);
  cleanups.push(() => fs.rmSync(root, { recursive: true, force: true }));
  if (db !== 'postgres') return { root, dbArgs: [], dbUrl: undefined };
  const schema = await freshPgSchema();
  cleanups.push(() => schema.drop());
  return { root, dbArgs: ['--db', schema.url], dbUrl: schema.url };
}
