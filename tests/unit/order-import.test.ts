import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatOrderIssue, parseOrderCsv } from '../../main/orders/order-csv.js';
import { importOrderFile } from '../../main/orders/order-import.js';
import { OrderStore } from '../../main/store/order-store.js';
import { StationStore } from '../../main/store/station-store.js';
import { REPO, tempDir } from '../fixtures/shift-seed.js';

const DIR = path.join(REPO, 'tests', 'fixtures', 'orders');
const BLUEPRINTS = new Set(['school-ipad', 'android-tablet', 'notebook-checklist']);
const NOW = '2026-03-02T06:00:00.000Z';

let tmp: ReturnType<typeof tempDir>;
let station: StationStore;
let orders: OrderStore;

beforeEach(() => {
  tmp = tempDir();
  station = new StationStore(path.join(tmp.dir, 'station.db'));
  orders = new OrderStore(station.db);
});
afterEach(() => {
  station.close();
  tmp.cleanup();
});

const importFile = (name: string) =>
  importOrderFile(orders, fs.readFileSync(path.join(DIR, name)), { fileName: name, knownBlueprints: BLUEPRINTS, now: NOW, shiftId: null, operator: null });

function tableCounts(): { orders: number; serials: number; imports: number } {
  const n = (t: string) => (station.db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
  return { orders: n('orders'), serials: n('order_serials'), imports: n('order_imports') };
}

/** Every bad file of the corpus, with the (line, column) of each problem it must report. */
const CORPUS: Record<string, [number, string | null][]> = {
  'bad-deadline.csv': [
    [3, 'deadline'],
    [4, 'deadline'],
  ],
  'unknown-blueprint.csv': [[2, 'blueprint']],
  'duplicate-serial.csv': [[4, 'serial']],
  'missing-column.csv': [[1, 'deadline']],
  'unknown-column.csv': [[1, 'seriel']],
  'wrong-field-count.csv': [[3, null]],
  'no-serial-no-quantity.csv': [[2, 'quantity']],
  'bad-quantity.csv': [
    [2, 'quantity'],
    [3, 'quantity'],
    [4, 'quantity'],
  ],
  'inconsistent-order.csv': [[3, 'school']],
  'empty-fields.csv': [
    [2, 'customer'],
    [3, 'school'],
    [3, 'order_id'],
  ],
  'bad-serial.csv': [[2, 'serial']],
  'unclosed-quote.csv': [[3, null]],
  'header-only.csv': [[2, null]],
  'empty.csv': [[1, null]],
  'no-delimiter.csv': [[1, null]],
  'latin1.csv': [[1, null]],
  'too-many-serials.csv': [[2, 'quantity']],
  'one-bad-among-many.csv': [[6, 'deadline']],
};

describe('order import: a corpus of bad files', () => {
  it('covers every file in tests/fixtures/orders/bad', () => {
    expect(fs.readdirSync(path.join(DIR, 'bad')).sort()).toEqual(Object.keys(CORPUS).sort());
  });

  for (const [name, expected] of Object.entries(CORPUS)) {
    it(`${name}: names each bad line and imports nothing`, () => {
      const report = importFile(`bad/${name}`);
      expect(report.ok).toBe(false);
      expect(report.issues.map((i) => [i.line, i.column])).toEqual(expected);
      for (const issue of report.issues) expect(issue.message.length).toBeGreaterThan(10);
      expect(tableCounts()).toEqual({ orders: 0, serials: 0, imports: 0 });
    });
  }

  it('explains a problem in words with its line and column', () => {
    const report = importFile('bad/bad-deadline.csv');
    expect(formatOrderIssue(report.issues[0]!)).toBe('line 3, deadline: "31.08.2026" is not an ISO date such as 2026-08-31.');
    expect(importFile('bad/unknown-blueprint.csv').issues[0]!.message).toContain('android-tablet, notebook-checklist, school-ipad');
    expect(importFile('bad/duplicate-serial.csv').issues[0]!.message).toBe('Serial DMPXC0000001 is already in line 2.');
  });
});

describe('order import: good files', () => {
  it('imports serial rows and quantity rows, comma separated with asset tags', () => {
    const report = importFile('good.csv');
    expect(report).toMatchObject({ ok: true, rows: 4, orders: 2, serials: 3, newSerials: 3, issues: [] });
    expect(orders.orderOfSerial('DMPXA0000001')).toEqual({ orderId: 'MS-2026-001', assetTag: 'INV-0001' });
    expect(orders.getOrder('GB-7')).toMatchObject({ customer: 'Gemeinde Beispiel', school: 'Gymnasium Süd', blueprint: 'android-tablet', quantity: 30 });
    const progress = orders.progress();
    expect(progress.find((o) => o.id === 'MS-2026-001')).toMatchObject({ expected: 3, received: 0, missing: 3 });
    expect(progress.find((o) => o.id === 'GB-7')).toMatchObject({ expected: 30, received: 0, missing: 30 });
  });

  it('reads what Excel saves: UTF-8 BOM, semicolons, CRLF, quoted separators', () => {
    const report = importFile('excel-semicolon-bom.csv');
    expect(report).toMatchObject({ ok: true, orders: 1, serials: 2 });
    expect(orders.getOrder('MS-2026-002')!.school).toBe('Realschule am Wehr; Außenstelle');
    expect(orders.getOrder('MS-2026-002')!.customer).toBe('Stadt Musterstadt');
  });

  it('is safe to run again: the same file twice adds nothing new', () => {
    importFile('good.csv');
    const again = importFile('good.csv');
    expect(again).toMatchObject({ ok: true, serials: 3, newSerials: 0 });
    expect(tableCounts()).toMatchObject({ orders: 2, serials: 3 });
  });

  it('refuses a serial that another order already holds, and an order changing its school', () => {
    importFile('good.csv');
    const csv =
      'customer,school,order_id,blueprint,deadline,serial,quantity\nStadt Musterstadt,GS Nord,MS-2026-009,school-ipad,2026-08-31,DMPXA0000001,\nStadt Musterstadt,GS Ost,MS-2026-001,school-ipad,2026-08-31,DMPXA0000009,\n';
    const report = importOrderFile(orders, csv, { fileName: null, knownBlueprints: BLUEPRINTS, now: NOW, shiftId: null, operator: null });
    expect(report.ok).toBe(false);
    expect(report.issues.map((i) => [i.line, i.column])).toEqual([
      [2, 'serial'],
      [3, 'school'],
    ]);
    expect(report.issues[0]!.message).toBe('Serial DMPXA0000001 already belongs to order MS-2026-001.');
    expect(orders.getOrder('MS-2026-009')).toBeNull();
    expect(orders.orderOfSerial('DMPXA0000009')).toBeNull();
  });

  it('skips blank lines and trims cells, and counts lines as an editor shows them', () => {
    const csv =
      'customer,school,order_id,blueprint,deadline,serial,quantity\n\n Stadt , GS Nord ,MS-1,school-ipad,2026-08-31, DMPXE0000001 ,\n\nStadt,GS Nord,MS-1,school-ipad,2026-08-31,bad serial,\n';
    const result = parseOrderCsv(csv, { knownBlueprints: BLUEPRINTS, orderOfSerial: () => null, existingOrder: () => null });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((i) => i.line)).toEqual([5]);
    const good = parseOrderCsv(csv.split('\n').slice(0, 3).join('\n'), { knownBlueprints: BLUEPRINTS, orderOfSerial: () => null, existingOrder: () => null });
    expect(good.ok && good.orders[0]).toMatchObject({ customer: 'Stadt', school: 'GS Nord', serials: [{ serial: 'DMPXE0000001', line: 3 }] });
  });
});

describe('goods receipt', () => {
  beforeEach(() => {
    importFile('good.csv');
  });

  it('counts listed serials as received, and a second scan changes nothing', () => {
    const who = { shiftId: null, operator: 'Anna' };
    expect(orders.receive('DMPXA0000001', null, NOW, who)).toMatchObject({ status: 'expected', orderId: 'MS-2026-001' });
    expect(orders.receive('DMPXA0000001', null, NOW, who)).toMatchObject({ status: 'duplicate', orderId: 'MS-2026-001' });
    expect(orders.progress().find((o) => o.id === 'MS-2026-001')).toMatchObject({ expected: 3, received: 1, missing: 2, unexpected: 0 });
    expect(orders.missingSerials('MS-2026-001')).toEqual(['DMPXA0000002', 'DMPXA0000003']);
  });

  it('fills an order known by quantity with the serials scanned against it, then calls more unexpected', () => {
    const who = { shiftId: null, operator: null };
    station.db.prepare("UPDATE orders SET quantity = 2 WHERE id = 'GB-7'").run();
    expect(orders.receive('R52T0001', 'GB-7', NOW, who).status).toBe('assigned');
    expect(orders.receive('R52T0002', 'GB-7', NOW, who).status).toBe('assigned');
    expect(orders.receive('R52T0003', 'GB-7', NOW, who)).toMatchObject({ status: 'unexpected', orderId: 'GB-7' });
    expect(orders.orderOfSerial('R52T0001')!.orderId).toBe('GB-7');
    expect(orders.progress().find((o) => o.id === 'GB-7')).toMatchObject({ expected: 2, received: 2, missing: 0, unexpected: 1 });
    expect(orders.receive('XXXX0001', null, NOW, who)).toMatchObject({ status: 'unexpected', orderId: null });
    expect(orders.unexpectedSerials(null)).toEqual(['XXXX0001']);
  });
});

describe('order import: control characters and formula-like names', () => {
  const HEADER = 'customer,school,order_id,blueprint,deadline,serial,quantity';
  const run = (csv: string) =>
    importOrderFile(orders, Buffer.from(csv, 'utf8'), { fileName: 'x.csv', knownBlueprints: BLUEPRINTS, now: NOW, shiftId: null, operator: null });

  it('refuses a cell with a control character, naming its line and column, and imports nothing', () => {
    const report = run(
      `${HEADER}\nStadt A,GS Nord,A-1,school-ipad,2026-08-31,DMPX00000001,\nStadt A,GS N\u0000ord,A-1,school-ipad,2026-08-31,DMPX00000002,\nStadt A,GS Nord,A-1,school-ipad,2026-08-31,DMPX00000003,\u001b[2J\n`,
    );
    expect(report.ok).toBe(false);
    expect(report.issues.map((i) => [i.line, i.column])).toEqual([
      [3, 'school'],
      [4, 'quantity'],
    ]);
    expect(report.issues[0]!.message).toMatch(/school.*U\+0000 at position 5/);
    expect(report.issues[1]!.message).toContain('U+001B');
    expect(tableCounts()).toEqual({ orders: 0, serials: 0, imports: 0 });
  });

  it('refuses a control character in the header row', () => {
    const report = run(`customer,school,order_id,blueprint,deadline,serial,quantity\u202e\nStadt A,GS Nord,A-1,school-ipad,2026-08-31,DMPX00000001,\n`);
    expect(report.issues).toEqual([expect.objectContaining({ line: 1, column: '#7' })]);
  });

  it('refuses names a spreadsheet would run as a formula, each by line and column', () => {
    const report = run(
      [
        HEADER,
        '"=HYPERLINK(""http://x"")",GS Nord,A-1,school-ipad,2026-08-31,DMPX00000001,',
        'Stadt B,+SUM(A1),B-1,school-ipad,2026-08-31,DMPX00000002,',
        'Stadt C,GS Süd,@C-1,school-ipad,2026-08-31,DMPX00000003,',
        'Stadt D,GS Ost,-D1,school-ipad,2026-08-31,DMPX00000004,',
      ].join('\n'),
    );
    expect(report.issues.map((i) => [i.line, i.column])).toEqual([
      [2, 'customer'],
      [3, 'school'],
      [4, 'order_id'],
      [5, 'order_id'],
    ]);
    expect(report.issues[0]!.message).toMatch(/formula/);
    expect(tableCounts()).toEqual({ orders: 0, serials: 0, imports: 0 });
  });

  it('still imports names with such characters inside them', () => {
    const report = run(`${HEADER}\nStadt A,GS Nord-West = Mitte,A+1,school-ipad,2026-08-31,DMPX00000001,\n`);
    expect(report).toMatchObject({ ok: true, orders: 1, serials: 1 });
  });
});
