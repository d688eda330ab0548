import fs from 'node:fs';
import path from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Option, type Command } from 'commander';
import { loadBlueprintSources } from '../blueprints/blueprint-loader.js';
import { RESOURCES_DIR, defaultDataDir } from '../app-paths.js';
import { writeFileAtomically } from '../export/atomic-file.js';
import { writeDeadLettersCsv } from '../export/dead-letters-csv.js';
import { writeShiftLog, type ShiftExportOptions } from '../export/export-shift.js';
import { parseCsvDialect } from '../export/shift-log-csv.js';
import { localTimeZone, type CsvDialect } from '../export/shift-log.js';
import { StationShiftLogSource, toShiftLogDeadLetter } from '../export/station-shift-source.js';
import { formatOrderIssue } from '../orders/order-csv.js';
import { importOrderFile } from '../orders/order-import.js';
import { DeadLetterStore } from '../store/dead-letter-store.js';
import { FloorStore } from '../store/floor-store.js';
import { OrderStore } from '../store/order-store.js';
import type { ShiftRecord } from '../store/records.js';
import { ShiftLogStore } from '../store/shift-log-store.js';
import { stationLanguage } from '../store/station-language.js';
import { StationStore } from '../store/station-store.js';
import { message } from '../../shared/messages/catalogue.js';
import { CliError } from './cli-error.js';
import { printErr, printOut, say } from './terminal-output.js';

/** Opens an existing station database; a data dir without one is an error, not a new empty station. */
function openStation(dataDir: string | undefined): StationStore {
  const dir = path.resolve(dataDir ?? defaultDataDir('station'));
  const file = path.join(dir, 'station.db');
  if (!fs.existsSync(file)) throw new CliError(message('cli.no-database', { dir }));
  try {
    return new StationStore(file);
  } catch (err) {
    throw new CliError(message('cli.open-failed', { file, detail: (err as Error).message }));
  }
}

function resolveShift(store: StationStore, id: string): ShiftRecord {
  const shift = id === 'current' ? store.currentShift() : id === 'last' ? store.lastShift() : store.getShift(id);
  if (shift) return shift;
  if (id === 'current') throw new CliError(message('cli.no-open-shift'));
  if (id === 'last') throw new CliError(message('cli.no-shift-yet'));
  const known = store.listShifts(5).map((s) => s.id);
  throw new CliError(known.length ? message('cli.no-shift-recent', { shiftId: id, recent: known.join(', ') }) : message('cli.no-shift', { shiftId: id }));
}

export interface ExportCommandOptions {
  dataDir?: string;
  /** Required for a shift log; with --dead-letters it narrows them to the shift's time window. */
  shift?: string;
  /** Required for a shift log; csv (default) or json with --dead-letters. */
  format?: 'csv' | 'json' | 'pdf';
  /** Export the events the hub refused instead of a shift log. */
  deadLetters?: boolean;
  dialect?: string;
  out: string;
  locale?: 'de' | 'en';
}

/** Writes to standard output ("-") or to a file that appears only when complete. */
async function writeExport(outPath: string, write: (out: Writable) => Promise<void>): Promise<void> {
  if (outPath === '-') return write(process.stdout);
  try {
    await writeFileAtomically(outPath, write);
  } catch (err) {
    throw new CliError(message('cli.write-failed', { file: outPath, detail: (err as Error).message }));
  }
}

/** `benchline export`: the shift's log (or --dead-letters), streamed to a file that appears only when complete. */
export async function exportCommand(opts: ExportCommandOptions): Promise<void> {
  let dialect;
  try {
    dialect = parseCsvDialect(opts.dialect);
  } catch (err) {
    throw new CliError((err as Error).message, 2);
  }
  if (opts.deadLetters) return exportDeadLetters(opts, dialect);
  if (!opts.shift) throw new CliError(message('cli.shift-required'), 2);
  if (!opts.format) throw new CliError(message('cli.format-required'), 2);
  const format = opts.format;
  if (opts.dialect && format !== 'csv') throw new CliError(message('cli.dialect-csv-only'), 2);
  const store = openStation(opts.dataDir);
  try {
    const shift = resolveShift(store, opts.shift);
    const source = new StationShiftLogSource(
      {
        log: new ShiftLogStore(store.db),
        floor: new FloorStore(store.db),
        stationId: store.stationId(),
        stationName: store.getSetting('station_name') ?? 'Station',
      },
      shift,
    );
    const exportOpts: ShiftExportOptions = { format, dialect, locale: opts.locale ?? stationLanguage(store) };
    await writeExport(opts.out, (out) => writeShiftLog(source, out, exportOpts));
    if (opts.out === '-') return;
    const runs = source.summary().total;
    printErr(say(message('cli.exported', { file: opts.out, shiftId: shift.id, runs, format: opts.dialect ? `${format}, ${opts.dialect}` : format })));
  } finally {
    store.close();
  }
}

/**
 * `benchline export --dead-letters`: the events the hub refused (all, or those of --shift's time
 * window), as CSV (one row each, the event as JSON in `payload`) or a JSON array.
 */
async function exportDeadLetters(opts: ExportCommandOptions, dialect: CsvDialect): Promise<void> {
  const format = opts.format ?? 'csv';
  if (format === 'pdf') throw new CliError(message('cli.dead-letters-format'), 2);
  if (opts.dialect && format !== 'csv') throw new CliError(message('cli.dialect-csv-only'), 2);
  const store = openStation(opts.dataDir);
  try {
    const shift = opts.shift ? resolveShift(store, opts.shift) : null;
    const tz = localTimeZone();
    const letters = new DeadLetterStore(store.db)
      .list(shift ? { from: shift.openedAt, to: shift.closedAt } : undefined)
      .map((l) => toShiftLogDeadLetter(l, tz));
    await writeExport(opts.out, (out) =>
      format === 'csv' ? writeDeadLettersCsv(letters, out, dialect) : pipeline(Readable.from([`${JSON.stringify(letters, null, 1)}\n`]), out),
    );
    if (opts.out !== '-') {
      const count = letters.length;
      printErr(
        say(
          shift
            ? message('cli.dead-letters-exported-shift', { file: opts.out, count, shiftId: shift.id, format })
            : message('cli.dead-letters-exported', { file: opts.out, count, format }),
        ),
      );
    }
  } finally {
    store.close();
  }
}

/** `benchline orders import FILE`: exit 0 imported; exit 1 with every bad line, nothing imported. */
export function ordersImportCommand(file: string, opts: { dataDir?: string }): void {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new CliError(
      (err as NodeJS.ErrnoException).code === 'ENOENT'
        ? message('cli.no-file', { file })
        : message('cli.read-failed', { file, detail: (err as Error).message }),
    );
  }
  const store = openStation(opts.dataDir);
  try {
    const orders = new OrderStore(store.db);
    const known = new Set([...loadBlueprintSources(path.join(RESOURCES_DIR, 'blueprints')).map((s) => s.blueprint.id), ...orders.blueprintNames()]);
    const shift = store.currentShift();
    const report = importOrderFile(orders, bytes, {
      fileName: path.basename(file),
      knownBlueprints: known,
      now: new Date().toISOString(),
      shiftId: shift?.id ?? null,
      operator: null,
    });
    if (!report.ok) {
      for (const issue of report.issues) printErr(`${file}: ${formatOrderIssue(issue)}`);
      throw new CliError(
        report.issues.length === 1 ? message('cli.order-problem', { file }) : message('cli.order-problems', { file, count: report.issues.length }),
      );
    }
    printOut(say(message('cli.orders-imported', { file, orders: report.orders, serials: report.serials, newSerials: report.newSerials, rows: report.rows })));
  } finally {
    store.close();
  }
}

export function addFloorCommands(program: Command): void {
  program
    .command('export')
    .description("write a shift's log (CSV, JSON or PDF), or with --dead-letters the events the hub refused; the file appears only when complete")
    .option('--data-dir <dir>', "the station's data dir")
    .option('--shift <id>', 'a shift id, "current" or "last" (required for a shift log)')
    .addOption(
      new Option('--format <format>', 'csv, json or pdf (required for a shift log; --dead-letters: csv or json, default csv)').choices(['csv', 'json', 'pdf']),
    )
    .option('--dead-letters', 'export the events the hub refused (all, or those of --shift) instead of a shift log')
    .option('--dialect <dialect>', 'excel-de: semicolon, UTF-8 BOM and decimal comma for German Excel')
    .addOption(new Option('--locale <locale>', 'language of the PDF (default: the station setting language, else de)').choices(['de', 'en']))
    .requiredOption('--out <file>', 'file to write ("-" for standard output)')
    .action((opts: ExportCommandOptions) => exportCommand(opts));

  const orders = program.command('orders').description('customer orders');
  orders
    .command('import <file>')
    .description('import an order CSV; exit 1 with every bad line and nothing imported')
    .option('--data-dir <dir>', "the station's data dir")
    .action((file: string, opts: { dataDir?: string }) => ordersImportCommand(file, opts));
}
