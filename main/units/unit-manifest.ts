import type { Writable } from 'node:stream';
import PDFDocument from 'pdfkit';
import { writeCsv } from '../export/shift-log-csv.js';
import { isoWithOffset, localTimeZone, type CsvDialect } from '../export/shift-log.js';
import { message, type MessageLanguage } from '../../shared/messages/catalogue.js';
import { formatMessage } from '../../shared/messages/format.js';
import type { UnitItemRecord, UnitRecord } from '../store/unit-store.js';

export const MANIFEST_COLUMNS = [
  'unit_id',
  'kind',
  'school',
  'customer',
  'order_id',
  'serial',
  'device_name',
  'asset_tag',
  'model',
  'packed_at',
  'operator',
  'run_id',
] as const;

/** The unit's manifest as CSV: one row per device in it. */
export async function writeManifestCsv(
  unit: UnitRecord,
  items: readonly UnitItemRecord[],
  out: Writable,
  dialect: CsvDialect = 'rfc4180',
  tz = localTimeZone(),
): Promise<void> {
  const rows = items.map((i) => [
    unit.id,
    unit.kind,
    unit.school,
    unit.customer,
    i.orderId ?? unit.orderId,
    i.serial,
    i.deviceName,
    i.assetTag,
    i.model,
    isoWithOffset(i.packedAt, tz),
    i.operator,
    i.runId,
  ]);
  await writeCsv(MANIFEST_COLUMNS, rows, out, dialect);
}

/** The unit's manifest as a printable A4 page (or more): school, unit, and the list of serials, in the reader's language. */
export async function writeManifestPdf(
  unit: UnitRecord,
  items: readonly UnitItemRecord[],
  out: Writable,
  tz = localTimeZone(),
  language: MessageLanguage = 'de',
): Promise<void> {
  const say = (m: Parameters<typeof formatMessage>[0]) => formatMessage(m, language);
  const title = say(message('manifest.title', { unitId: unit.id }));
  const doc = new PDFDocument({ size: 'A4', margin: 40, info: { Title: title, Creator: 'Benchline' } });
  const done = new Promise<void>((resolve, reject) => {
    out.once('finish', resolve);
    out.once('error', reject);
  });
  doc.pipe(out);
  doc.font('Helvetica-Bold').fontSize(18).text(title);
  doc.font('Helvetica').fontSize(11).moveDown(0.3);
  doc.text(say(message('manifest.school', { school: unit.school })));
  if (unit.customer) doc.text(say(message('manifest.customer', { customer: unit.customer })));
  if (unit.orderId) doc.text(say(message('manifest.order', { orderId: unit.orderId })));
  const kind = message(unit.kind === 'cart' ? 'manifest.cart' : 'manifest.box');
  const state = message(unit.state === 'closed' ? 'manifest.state-closed' : 'manifest.state-open');
  doc.text(say(message('manifest.summary', { kind, count: items.length, state })));
  doc.text(say(message('manifest.created', { at: new Date(unit.createdAt).toLocaleString(language === 'de' ? 'de-DE' : 'en-GB', { timeZone: tz }) })));
  doc.moveDown(0.8);
  const cols = [28, 110, 110, 90, 177];
  const heads = ['#', ...(['manifest.col-serial', 'manifest.col-name', 'manifest.col-asset', 'manifest.col-model'] as const).map((code) => say(message(code)))];
  const row = (cells: string[], bold: boolean) => {
    if (doc.y > doc.page.height - 60) doc.addPage();
    const y = doc.y;
    let x = 40;
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(9);
    cells.forEach((c, i) => {
      doc.text(c, x, y, { width: cols[i]! - 4, lineBreak: false, ellipsis: true, height: 12 });
      x += cols[i]!;
    });
    doc.y = y + 13;
  };
  row(heads, true);
  items.forEach((i, n) => row([String(n + 1), i.serial, i.deviceName ?? '', i.assetTag ?? '', i.model ?? ''], false));
  doc.end();
  await done;
}
