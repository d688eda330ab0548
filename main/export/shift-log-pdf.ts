import { once } from 'node:events';
import type { Writable } from 'node:stream';
import PDFDocument from 'pdfkit';
import { localTimeZone, type ShiftLogRun, type ShiftLogSource, type ShiftLogSummary } from './shift-log.js';

export type PdfLocale = 'de' | 'en';

const TEXT = {
  de: {
    title: 'Schichtprotokoll',
    station: 'Station',
    shift: 'Schicht',
    opened: 'Beginn',
    closed: 'Ende',
    open: 'offen',
    operators: 'Techniker:innen',
    totals: 'Summen',
    total: 'Läufe',
    done: 'fertig',
    failed: 'fehlgeschlagen',
    cancelled: 'abgebrochen',
    unfinished: 'offen',
    fpy: 'Erstdurchlauf-Quote',
    perHour: 'Geräte pro Stunde',
    failures: 'Fehlerursachen nach Schritt',
    noFailures: 'Keine Fehler in dieser Schicht.',
    noRuns: 'Keine Läufe in dieser Schicht.',
    step: 'Schritt',
    reason: 'Ursache',
    count: 'Anzahl',
    runs: 'Läufe',
    carriedOut: 'An die nächste Schicht übergeben',
    carriedIn: 'Von der vorigen Schicht übernommen',
    page: 'Seite',
    cols: ['Platz', 'Seriennr.', 'Modell', 'Schule', 'Auftrag', 'Gerätename', 'Techniker:in', 'Ergebnis', 'Dauer s', 'Vers.', 'Fehler'],
  },
  en: {
    title: 'Shift log',
    station: 'Station',
    shift: 'Shift',
    opened: 'Opened',
    closed: 'Closed',
    open: 'open',
    operators: 'Operators',
    totals: 'Totals',
    total: 'Runs',
    done: 'done',
    failed: 'failed',
    cancelled: 'cancelled',
    unfinished: 'unfinished',
    fpy: 'First-pass yield',
    perHour: 'Devices per hour',
    failures: 'Failure reasons by step',
    noFailures: 'No failures in this shift.',
    noRuns: 'No runs in this shift.',
    step: 'Step',
    reason: 'Reason',
    count: 'Count',
    runs: 'Runs',
    carriedOut: 'Handed over to the next shift',
    carriedIn: 'Taken over from the previous shift',
    page: 'Page',
    cols: ['Slot', 'Serial', 'Model', 'School', 'Order', 'Device name', 'Technician', 'Result', 'Time s', 'Att.', 'Error'],
  },
} as const;

const PAGE = { width: 841.89, height: 595.28, margin: 36 };
/** The run table's columns, together the page's width between the margins (769.89 pt). */
const COL_WIDTHS = [30, 72, 76, 92, 56, 70, 72, 54, 36, 26, 185];
/** A row of one line; a cell that needs more lines wraps within its column and the row grows (nothing is cut). */
const ROW_H = 11;
const CELL_PAD = 3;
/** The failure table right of the chart: step and cause columns, then the count, ending at the right margin. */
const FAILURE_COLS = [90, 200] as const;
const FAILURE_COUNT_X = 295;
const FAILURE_COUNT_W = 34;

type Doc = InstanceType<typeof PDFDocument>;

function fmtTime(iso: string | null, tz: string, locale: PdfLocale): string {
  if (!iso) return '';
  const d = new Date(iso);
  return d.toLocaleString(locale === 'de' ? 'de-DE' : 'en-GB', { timeZone: tz, dateStyle: 'short', timeStyle: 'short' });
}

function fmtNumber(n: number, locale: PdfLocale, digits = 1): string {
  return n.toLocaleString(locale === 'de' ? 'de-DE' : 'en-GB', { maximumFractionDigits: digits });
}

/**
 * A row of cells, each wrapped within its column (a word longer than the column breaks inside it),
 * drawn at y; answers the row's height. Nothing is cut off: a long school name or error takes lines.
 */
function drawRow(doc: Doc, cells: readonly string[], widths: readonly number[], x0: number, y: number, height = rowHeight(doc, cells, widths)): number {
  let x = x0;
  cells.forEach((c, i) => {
    doc.text(c, x, y, { width: widths[i]! - CELL_PAD, lineGap: 0 });
    x += widths[i]!;
  });
  return height;
}

function rowHeight(doc: Doc, cells: readonly string[], widths: readonly number[]): number {
  let h = ROW_H;
  cells.forEach((c, i) => {
    const width = widths[i]! - CELL_PAD;
    // Most cells fit one line: measuring the width is cheaper than laying the text out.
    if (c && doc.widthOfString(c) > width) h = Math.max(h, doc.heightOfString(c, { width, lineGap: 0 }) + 2);
  });
  return h;
}

function resultText(r: ShiftLogRun['result'], t: (typeof TEXT)[PdfLocale]): string {
  return r === 'done' ? t.done : r === 'failed' ? t.failed : r === 'cancelled' ? t.cancelled : t.unfinished;
}

/** Waits for the consumer when the PDF's output is ahead of it, so memory stays bounded. */
async function drain(out: Writable): Promise<void> {
  if (out.writableNeedDrain) await once(out, 'drain');
}

function drawChart(doc: Doc, summary: ShiftLogSummary, x: number, y: number, w: number, h: number, tz: string, locale: PdfLocale): void {
  const bars = summary.perHour;
  doc
    .save()
    .lineWidth(0.5)
    .strokeColor('#888')
    .moveTo(x, y + h)
    .lineTo(x + w, y + h)
    .stroke()
    .restore();
  if (bars.length === 0) return;
  const max = Math.max(1, ...bars.map((b) => b.done));
  const slot = w / Math.max(bars.length, 8);
  doc.fontSize(7).fillColor('#000');
  bars.forEach((b, i) => {
    const bh = (b.done / max) * (h - 14);
    const bx = x + i * slot + slot * 0.15;
    doc.rect(bx, y + h - bh, slot * 0.7, bh).fill('#2f6db5');
    doc.fillColor('#000').text(String(b.done), bx, y + h - bh - 9, { width: slot * 0.7, align: 'center', lineBreak: false });
    const label = new Date(b.hour).toLocaleTimeString(locale === 'de' ? 'de-DE' : 'en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit' });
    doc.text(label, bx - 4, y + h + 3, { width: slot * 0.7 + 8, align: 'center', lineBreak: false });
  });
}

function tableHeader(doc: Doc, t: (typeof TEXT)[PdfLocale], y: number): number {
  doc.font('Helvetica-Bold').fontSize(7).fillColor('#000');
  const h = drawRow(doc, t.cols, COL_WIDTHS, PAGE.margin, y);
  doc
    .save()
    .lineWidth(0.5)
    .moveTo(PAGE.margin, y + h - 2)
    .lineTo(PAGE.width - PAGE.margin, y + h - 2)
    .stroke()
    .restore();
  doc.font('Helvetica');
  return y + h + 1;
}

/**
 * The printable shift summary a supervisor files: totals, devices per hour, failure reasons by
 * step, and the run table. Pages are written out as they fill, so a 10,000-run shift streams.
 */
export async function writeShiftPdf(source: ShiftLogSource, out: Writable, opts: { locale?: PdfLocale; timeZone?: string } = {}): Promise<void> {
  const locale = opts.locale ?? 'de';
  const tz = opts.timeZone ?? localTimeZone();
  const t = TEXT[locale];
  const header = source.header();
  const summary = source.summary();
  const words = source.words(locale);
  const doc = new PDFDocument({
    size: 'A4',
    layout: 'landscape',
    margin: PAGE.margin,
    bufferPages: false,
    info: { Title: `${t.title} ${header.id}`, Creator: 'Benchline' },
  });
  const finished = new Promise<void>((resolve, reject) => {
    out.once('finish', resolve);
    out.once('error', reject);
    doc.once('error', reject);
  });
  doc.pipe(out);
  let pageNo = 1;
  const footer = () => {
    // Below the bottom margin: without lifting it, pdfkit would start a new page for the footer.
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc
      .fontSize(7)
      .fillColor('#555')
      .text(`${t.title} ${header.id} · ${header.stationName} · ${t.page} ${pageNo}`, PAGE.margin, PAGE.height - PAGE.margin + 8, {
        width: PAGE.width - 2 * PAGE.margin,
        align: 'right',
        lineBreak: false,
      });
    doc.page.margins.bottom = bottom;
    doc.fillColor('#000');
  };

  doc.font('Helvetica-Bold').fontSize(18).text(`${t.title}`, PAGE.margin, PAGE.margin);
  doc.font('Helvetica').fontSize(10);
  const info: [string, string][] = [
    // The station by the name people call it ("Bank 1"); its id is in the CSV/JSON for scripts.
    [t.station, header.stationName],
    [t.shift, header.id],
    [t.opened, fmtTime(header.openedAt, tz, locale)],
    [t.closed, header.closedAt ? fmtTime(header.closedAt, tz, locale) : t.open],
    [t.operators, header.operators.join(', ') || '-'],
  ];
  let y = PAGE.margin + 28;
  for (const [k, v] of info) {
    doc.font('Helvetica-Bold').text(k, PAGE.margin, y, { width: 110, lineBreak: false });
    doc.font('Helvetica').text(v, PAGE.margin + 110, y, { width: 300, lineBreak: false });
    y += 14;
  }

  // Totals, right of the shift info.
  const tx = PAGE.margin + 440;
  let ty = PAGE.margin + 28;
  doc
    .font('Helvetica-Bold')
    .fontSize(12)
    .text(t.totals, tx, ty - 2);
  ty += 16;
  const totals: [string, string][] = [
    [t.total, String(summary.total)],
    [t.done, String(summary.done)],
    [t.failed, String(summary.failed)],
    [t.cancelled, String(summary.cancelled)],
    [t.unfinished, String(summary.unfinished)],
    [t.fpy, summary.firstPassYield === null ? '-' : `${fmtNumber(summary.firstPassYield * 100, locale)} %`],
  ];
  doc.fontSize(10);
  for (const [k, v] of totals) {
    doc.font('Helvetica').text(k, tx, ty, { width: 150, lineBreak: false });
    doc.font('Helvetica-Bold').text(v, tx + 150, ty, { width: 80, align: 'right', lineBreak: false });
    ty += 14;
  }

  y = Math.max(y, ty) + 12;
  doc.font('Helvetica-Bold').fontSize(12).text(t.perHour, PAGE.margin, y);
  drawChart(doc, summary, PAGE.margin, y + 18, 380, 130, tz, locale);

  // Failure reasons by step, right of the chart.
  doc.font('Helvetica-Bold').fontSize(12).text(t.failures, tx, y);
  let fy = y + 18;
  doc.fontSize(8);
  const failures = words.failures();
  if (failures.length === 0) doc.font('Helvetica').text(t.noFailures, tx, fy);
  else {
    doc
      .font('Helvetica-Bold')
      .text(t.step, tx, fy, { width: 90, lineBreak: false })
      .text(t.reason, tx + 90, fy, { width: FAILURE_COLS[1], lineBreak: false })
      .text(t.count, tx + FAILURE_COUNT_X, fy, { width: FAILURE_COUNT_W, align: 'right', lineBreak: false });
    fy += 11;
    doc.font('Helvetica');
    // As many causes as fit the page, each in full (wrapped); the rest are in the CSV/JSON.
    for (const f of failures.slice(0, 12)) {
      const cells = [f.step, f.cause];
      const h = rowHeight(doc, cells, FAILURE_COLS);
      if (fy + h > PAGE.height - PAGE.margin - 20) break;
      drawRow(doc, cells, FAILURE_COLS, tx, fy, h);
      doc.text(String(f.count), tx + FAILURE_COUNT_X, fy, { width: FAILURE_COUNT_W, align: 'right', lineBreak: false });
      fy += h;
    }
  }
  y = Math.max(y + 18 + 130 + 20, fy + 8);
  doc.fontSize(8).font('Helvetica');
  if (header.carriedIn.length) {
    doc.text(
      `${t.carriedIn}: ${header.carriedIn.length} (${header.carriedIn
        .slice(0, 8)
        .map((c) => c.serial)
        .join(', ')}${header.carriedIn.length > 8 ? ', …' : ''})`,
      PAGE.margin,
      y,
      { lineBreak: false },
    );
    y += 11;
  }
  if (header.carriedOut.length) {
    doc.text(
      `${t.carriedOut}: ${header.carriedOut.length} (${header.carriedOut
        .slice(0, 8)
        .map((c) => c.serial)
        .join(', ')}${header.carriedOut.length > 8 ? ', …' : ''})`,
      PAGE.margin,
      y,
      { lineBreak: false },
    );
    y += 11;
  }
  footer();

  // The run table, starting on page 2.
  const newPage = async () => {
    doc.addPage();
    pageNo++;
    footer();
    await drain(out);
    doc.font('Helvetica-Bold').fontSize(12).text(t.runs, PAGE.margin, PAGE.margin);
    return tableHeader(doc, t, PAGE.margin + 18);
  };
  y = await newPage();
  let any = false;
  doc.fontSize(7);
  for (const run of source.runs()) {
    any = true;
    const cells = [
      run.slot ?? '',
      run.serial,
      run.model ?? '',
      run.school ?? '',
      run.order_id ?? '',
      run.device_name ?? '',
      run.operator ?? '',
      resultText(run.result, t),
      run.duration_s === null ? '' : fmtNumber(run.duration_s, locale),
      String(run.attempts),
      words.runFailure(run),
    ];
    doc.fontSize(7);
    const height = rowHeight(doc, cells, COL_WIDTHS);
    if (y + height > PAGE.height - PAGE.margin) {
      y = await newPage();
      doc.fontSize(7);
    }
    doc.fillColor(run.result === 'failed' ? '#b00020' : '#000');
    y += drawRow(doc, cells, COL_WIDTHS, PAGE.margin, y, height);
  }
  doc.fillColor('#000');
  if (!any) doc.fontSize(9).text(t.noRuns, PAGE.margin, y + 4);
  doc.end();
  await finished;
}
