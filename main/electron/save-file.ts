import path from 'node:path';
import type { Writable } from 'node:stream';
import { AppError } from '../../shared/contract/errors.js';
import { message as text } from '../../shared/messages/catalogue.js';
import { parseSaveFileRequest, type SaveFileKind, type SaveFileParams, type SaveFileResult } from '../../shared/contract/save-file.js';
import { toApiError } from '../api/station-methods.js';
import { writeFileAtomically } from '../export/atomic-file.js';
import { exportFileName, writeShiftLog, type ShiftExportOptions } from '../export/export-shift.js';
import { writeQuarantineCsv } from '../export/quarantine-csv.js';
import type { Logger } from '../logging/logger.js';
import { stationLanguage } from '../store/station-language.js';
import type { StationCore } from '../station/station-core.js';
import { writeManifestCsv, writeManifestPdf } from '../units/unit-manifest.js';
import { isAppUrl } from './app-protocol.js';

/** The part of Electron's dialog.showSaveDialog the handler uses (injected, so it is testable). */
export interface SaveDialogOptions {
  title?: string;
  defaultPath: string;
  filters: Array<{ name: string; extensions: string[] }>;
  properties?: Array<'createDirectory' | 'showOverwriteConfirmation'>;
}
export type ShowSaveDialog = (options: SaveDialogOptions) => Promise<{ canceled: boolean; filePath?: string }>;

export type SaveFileReply = { ok: true; result: SaveFileResult } | { ok: false; error: { code: string; message: string } };

/** A file the station can produce: its default name, the dialog filter, and the writer (which ends the stream). */
interface Producible {
  fileName: string;
  filter: { name: string; extensions: string[] };
  write(out: Writable): Promise<void>;
}

const FILTERS: Record<'csv' | 'json' | 'pdf', { name: string; extensions: string[] }> = {
  csv: { name: 'CSV', extensions: ['csv'] },
  json: { name: 'JSON', extensions: ['json'] },
  pdf: { name: 'PDF', extensions: ['pdf'] },
};

/**
 * Resolves what to write exactly as the HTTP routes in main/api/floor-routes.ts do (same writers,
 * same file names), before any dialog opens: an unknown shift or unit fails without asking.
 */
function produce(core: StationCore, kind: SaveFileKind, params: SaveFileParams<SaveFileKind>): Producible {
  const { shifts, packing, quarantine } = core;
  switch (kind) {
    case 'shiftExport': {
      const p = params as SaveFileParams<'shiftExport'>;
      const shift = core.resolveShift(p.shiftId);
      const opts: ShiftExportOptions = { format: p.format, dialect: p.dialect ?? 'rfc4180', locale: p.locale ?? stationLanguage(core.store) };
      const source = shifts.shiftLogSource(shift);
      return { fileName: exportFileName(shift.id, opts), filter: FILTERS[p.format], write: (out) => writeShiftLog(source, out, opts) };
    }
    case 'unitManifest': {
      const p = params as SaveFileParams<'unitManifest'>;
      const { unit, items } = packing.unitDetail(p.unitId);
      const fileName = `packliste-${unit.id.replace(/[^A-Za-z0-9._-]/g, '_')}.${p.format}`;
      return p.format === 'csv'
        ? { fileName, filter: FILTERS.csv, write: (out) => writeManifestCsv(unit, items, out, p.dialect ?? 'rfc4180') }
        : { fileName, filter: FILTERS.pdf, write: (out) => writeManifestPdf(unit, items, out) };
    }
    case 'quarantineList': {
      const p = params as SaveFileParams<'quarantineList'>;
      const list = quarantine.listQuarantine(p.all === true);
      return { fileName: 'quarantaene.csv', filter: FILTERS.csv, write: (out) => writeQuarantineCsv(list, out, p.dialect ?? 'rfc4180') };
    }
  }
}

/**
 * One `saveFile` request from the preload bridge. Only the app's own page may ask (as for
 * benchline:call); kind and params are checked against shared/contract/save-file.ts. The file is
 * written through a temporary sibling and renamed into place, so a failed export leaves nothing.
 */
export async function handleSaveFile(
  core: StationCore,
  senderUrl: string | null | undefined,
  message: unknown,
  showSaveDialog: ShowSaveDialog,
  logger: Logger,
  defaultDir: string,
): Promise<SaveFileReply> {
  if (!isAppUrl(senderUrl)) {
    logger.log('warn', `refused a save-file request from ${String(senderUrl)}`);
    return { ok: false, error: new AppError('unauthorized', text('api.ui-only')).toBody().error };
  }
  const { kind, params } = (typeof message === 'object' && message !== null ? message : {}) as { kind?: unknown; params?: unknown };
  try {
    const request = parseSaveFileRequest(kind, params);
    if (!request.ok) throw new AppError('bad_request', text('api.invalid-params', { method: String(kind), issues: request.message }));
    const file = produce(core, request.kind, request.params);
    const choice = await showSaveDialog({
      defaultPath: path.join(defaultDir, file.fileName),
      filters: [file.filter],
      properties: ['createDirectory', 'showOverwriteConfirmation'],
    });
    if (choice.canceled || !choice.filePath) return { ok: true, result: { cancelled: true } };
    const target = path.resolve(choice.filePath);
    await writeFileAtomically(target, (out) => file.write(out));
    logger.log('info', `saved ${request.kind} to ${target}`);
    return { ok: true, result: { saved: target } };
  } catch (err) {
    const { status, error } = toApiError(err);
    if (status >= 500) {
      // Writing the file failed (disk full, no permission...): say so, the station is fine.
      logger.log('error', `save-file ${String(kind)} failed: ${(err as Error).stack ?? String(err)}`);
      const code = (err as NodeJS.ErrnoException).code;
      if (typeof code === 'string')
        return { ok: false, error: new AppError('internal', text('save.write-failed', { detail: (err as Error).message })).toBody().error };
    }
    return { ok: false, error: error.toBody().error };
  }
}
