import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError } from '../../main/cli/cli-error.js';
import { exportCommand, ordersImportCommand } from '../../main/cli/floor-commands.js';
import { message } from '../../shared/messages/catalogue.js';
import { formatMessage } from '../../shared/messages/format.js';
import { tempDir } from '../fixtures/shift-seed.js';

async function refusal(run: () => unknown): Promise<CliError> {
  const err = await Promise.resolve()
    .then(run)
    .then(
      () => null,
      (e: unknown) => e,
    );
  expect(err).toBeInstanceOf(CliError);
  return err as CliError;
}

describe('the command line says catalogue messages in English', () => {
  it('refuses bad usage with exit code 2 and the catalogue words', async () => {
    const err = await refusal(() => exportCommand({ out: '-', format: 'csv' }));
    expect(err.exitCode).toBe(2);
    expect(err.message).toBe(formatMessage(message('cli.shift-required'), 'en'));
    expect((await refusal(() => exportCommand({ out: '-', shift: 'last' }))).message).toBe('--format is required: csv, json or pdf.');
  });

  it('names the data dir without a station database and a missing order file', async () => {
    const tmp = tempDir();
    try {
      const dir = path.join(tmp.dir, 'empty');
      const err = await refusal(() => exportCommand({ dataDir: dir, shift: 'last', format: 'csv', out: '-' }));
      expect(err.message).toBe(formatMessage(message('cli.no-database', { dir }), 'en'));
      expect(err.message).toContain("holds no station database (station.db). Give the station's --data-dir.");
      const file = path.join(tmp.dir, 'orders.csv');
      expect((await refusal(() => ordersImportCommand(file, { dataDir: dir }))).message).toBe(`Cannot read ${file}: no such file`);
    } finally {
      tmp.cleanup();
    }
  });
});
