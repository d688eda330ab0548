import path from 'node:path';
import { message } from '../../shared/messages/catalogue.js';
import type { Command } from 'commander';
import type { LibraryItem } from '../../shared/contract/library-api.js';
import { AppError } from '../../shared/contract/errors.js';
import { defaultDataDir } from '../app-paths.js';
import { LibraryService } from '../library/library-service.js';
import { StationStore } from '../store/station-store.js';
import { CliError } from './cli-error.js';
import { printOut } from './terminal-output.js';

interface DataDirOption {
  dataDir?: string;
}

/** The station's library in a data dir; importing into a fresh one prepares a station before its first start. */
async function withLibrary<T>(opts: DataDirOption, fn: (library: LibraryService) => Promise<T> | T): Promise<T> {
  const dir = path.resolve(opts.dataDir ?? defaultDataDir('station'));
  let store: StationStore;
  try {
    store = new StationStore(path.join(dir, 'station.db'));
  } catch (err) {
    throw new CliError(message('cli.open-station-db', { dir, detail: (err as Error).message }));
  }
  try {
    const library = new LibraryService(store.db, dir);
    return await fn(library);
  } catch (err) {
    // The library's errors carry a catalogue message; the CLI prints its English rendering.
    if (err instanceof AppError) throw new CliError(err.message);
    throw err;
  } finally {
    store.close();
  }
}

/** One line per item: kind, identifier, version, sha256 (tab-separated, for scripts and people). */
export function itemLine(item: LibraryItem): string {
  return [item.kind, item.identifier, item.version ?? '-', item.sha256].join('\t');
}

export function addLibraryCommands(program: Command): void {
  const library = program.command('library').description('apps, profiles and files this station installs (stored once by content hash)');
  library
    .command('import <files...>')
    .description('import IPA, APK, .mobileconfig or files for serial devices; nothing is stored when one file is not what its name says')
    .option('--data-dir <dir>', "the station's data folder")
    .action(async (files: string[], opts: DataDirOption) => {
      const items = await withLibrary(opts, (lib) => lib.importFiles(files.map((f) => ({ path: path.resolve(f), name: path.basename(f) }))));
      for (const item of items) printOut(itemLine(item));
    });
  library
    .command('list')
    .description('the items in the library')
    .option('--json', 'print JSON')
    .option('--data-dir <dir>', "the station's data folder")
    .action(async (opts: DataDirOption & { json?: boolean }) => {
      const items = await withLibrary(opts, (lib) => lib.list());
      if (opts.json) printOut(JSON.stringify(items, null, 2));
      else for (const item of items) printOut(itemLine(item));
    });
  library
    .command('remove <id>')
    .description('remove an item by its sha256 (or a unique prefix of 8 characters or more)')
    .option('--data-dir <dir>', "the station's data folder")
    .action(async (id: string, opts: DataDirOption) => {
      const item = await withLibrary(opts, (lib) => lib.remove(id));
      printOut(`removed ${itemLine(item)}`);
    });
}
