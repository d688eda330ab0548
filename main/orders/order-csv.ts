import { CsvError, parse } from 'csv-parse/sync';
import { controlCharMessage, findControlChar } from '../../shared/contract/text.js';
import { FORMULA_START } from '../export/shift-log-csv.js';
import type { OrderFields } from '../store/order-store.js';

/** The order file's columns (CONTRACT.md "Order import"); `asset_tag` may follow as an optional extra. */
export const ORDER_COLUMNS = ['customer', 'school', 'order_id', 'blueprint', 'deadline', 'serial', 'quantity'] as const;
export const OPTIONAL_ORDER_COLUMNS = ['asset_tag'] as const;
type OrderColumn = (typeof ORDER_COLUMNS)[number] | (typeof OPTIONAL_ORDER_COLUMNS)[number];

/** One problem of an order file: where (line 1 is the header) and why, in words a person can fix. */
export interface OrderCsvIssue {
  line: number;
  column: string | null;
  message: string;
}

export interface ParsedOrderSerial {
  serial: string;
  assetTag: string | null;
  line: number;
}

export interface ParsedOrder extends OrderFields {
  serials: ParsedOrderSerial[];
  line: number;
}

export interface ExistingOrder {
  customer: string;
  school: string;
  blueprint: string;
}

/** What validation needs to know about the station: blueprints it can apply and what is already imported. */
export interface OrderCsvContext {
  knownBlueprints: ReadonlySet<string>;
  /** The order that already holds this serial, if any. */
  orderOfSerial(serial: string): string | null;
  existingOrder(id: string): ExistingOrder | null;
}

export type OrderCsvResult = { ok: true; orders: ParsedOrder[]; rows: number; delimiter: ',' | ';' } | { ok: false; issues: OrderCsvIssue[] };

export const MAX_ORDER_ROWS = 200_000;
const SERIAL = /^[A-Za-z0-9][A-Za-z0-9._:-]{2,63}$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function decode(input: string | Uint8Array): string | OrderCsvIssue {
  let text: string;
  if (typeof input === 'string') text = input;
  else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch {
      return { line: 1, column: null, message: 'The file is not UTF-8. In Excel save it as "CSV UTF-8 (durch Trennzeichen getrennt)".' };
    }
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** The header line decides the separator: comma or semicolon, whichever it uses outside quotes. */
function detectDelimiter(text: string): ',' | ';' | null {
  let inQuotes = false;
  let commas = 0;
  let semis = 0;
  for (const ch of text) {
    if (ch === '"') inQuotes = !inQuotes;
    else if (!inQuotes && (ch === '\n' || ch === '\r')) break;
    else if (!inQuotes && ch === ',') commas++;
    else if (!inQuotes && ch === ';') semis++;
  }
  if (commas === 0 && semis === 0) return null;
  return semis > commas ? ';' : ',';
}

function validDate(value: string): boolean {
  const m = ISO_DATE.exec(value);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === value;
}

/**
 * Parses and validates an order file completely. Either every row is good and the orders come
 * back, or nothing does and every bad row is named: line number, column and why.
 */
export function parseOrderCsv(input: string | Uint8Array, ctx: OrderCsvContext): OrderCsvResult {
  const decoded = decode(input);
  if (typeof decoded !== 'string') return { ok: false, issues: [decoded] };
  const text = decoded;
  if (text.trim() === '')
    return { ok: false, issues: [{ line: 1, column: null, message: 'The file is empty; expected a header row and at least one order row.' }] };
  const delimiter = detectDelimiter(text);
  if (!delimiter) {
    return {
      ok: false,
      issues: [{ line: 1, column: null, message: `The first line is not a header row separated by comma or semicolon; expected: ${ORDER_COLUMNS.join(',')}` }],
    };
  }

  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { delimiter, info: true, relax_column_count: true, skip_empty_lines: true, trim: true }) as unknown as {
      record: string[];
      info: { lines: number };
    }[];
  } catch (err) {
    if (err instanceof CsvError) {
      const line = typeof (err as CsvError & { lines?: number }).lines === 'number' ? (err as CsvError & { lines: number }).lines : 1;
      return { ok: false, issues: [{ line, column: null, message: `The file is not valid CSV here: ${err.message.replace(/^Invalid [^:]*:\s*/, '')}` }] };
    }
    throw err;
  }

  const issues: OrderCsvIssue[] = [];
  const [head, ...rows] = records;
  if (!head) return { ok: false, issues: [{ line: 1, column: null, message: 'The file has no header row.' }] };
  const controls = (record: readonly string[], line: number, columnOf: (i: number) => string) => {
    let found = false;
    record.forEach((value, i) => {
      const at = findControlChar(value);
      if (!at) return;
      found = true;
      issues.push({ line, column: columnOf(i), message: controlCharMessage(`The ${columnOf(i)} cell`, at) });
    });
    return found;
  };
  if (controls(head.record, head.info.lines, (i) => `#${i + 1}`)) return { ok: false, issues };
  const names = head.record.map((h) => h.trim().toLowerCase());
  const index = new Map<OrderColumn, number>();
  const allowed = new Set<string>([...ORDER_COLUMNS, ...OPTIONAL_ORDER_COLUMNS]);
  names.forEach((name, i) => {
    if (!allowed.has(name)) {
      issues.push({
        line: head.info.lines,
        column: name || `#${i + 1}`,
        message: `Unknown column "${head.record[i]}"; the columns are ${ORDER_COLUMNS.join(', ')} (and optionally asset_tag).`,
      });
    } else if (index.has(name as OrderColumn)) {
      issues.push({ line: head.info.lines, column: name, message: `Column "${name}" appears twice in the header.` });
    } else index.set(name as OrderColumn, i);
  });
  for (const c of ORDER_COLUMNS) {
    if (!index.has(c)) issues.push({ line: head.info.lines, column: c, message: `The header has no column "${c}".` });
  }
  if (issues.length) return { ok: false, issues };
  if (rows.length === 0) return { ok: false, issues: [{ line: head.info.lines + 1, column: null, message: 'The file has a header but no order rows.' }] };
  if (rows.length > MAX_ORDER_ROWS) {
    return {
      ok: false,
      issues: [{ line: head.info.lines, column: null, message: `The file has ${rows.length} rows; split it into files of at most ${MAX_ORDER_ROWS}.` }],
    };
  }

  const orders = new Map<string, ParsedOrder>();
  const serialLines = new Map<string, number>();
  const quantityLines = new Map<string, number>();
  const pending: { orderId: string; entry: ParsedOrderSerial }[] = [];

  for (const { record, info } of rows) {
    const line = info.lines;
    const bad = (column: string | null, message: string) => issues.push({ line, column, message });
    if (record.length !== names.length) {
      bad(
        null,
        `The row has ${record.length} fields; the header has ${names.length}. Check for a missing or extra ${delimiter === ';' ? 'semicolon' : 'comma'}.`,
      );
      continue;
    }
    if (controls(record, line, (i) => names[i] || `#${i + 1}`)) continue;
    const get = (c: OrderColumn): string => {
      const i = index.get(c);
      return i === undefined ? '' : (record[i] ?? '').trim();
    };
    const before = issues.length;
    const customer = get('customer');
    const school = get('school');
    const orderId = get('order_id');
    const blueprint = get('blueprint');
    const deadline = get('deadline');
    const serial = get('serial');
    const quantityText = get('quantity');
    const assetTag = get('asset_tag');

    if (!customer) bad('customer', 'The customer is empty.');
    else if (customer.length > 120) bad('customer', 'The customer name is longer than 120 characters.');
    if (!school) bad('school', 'The school is empty.');
    else if (school.length > 120) bad('school', 'The school name is longer than 120 characters.');
    if (!orderId) bad('order_id', 'The order_id is empty.');
    else if (orderId.length > 64) bad('order_id', `"${orderId.slice(0, 80)}" is not a usable order_id (at most 64 characters).`);
    if (!blueprint) bad('blueprint', 'The blueprint is empty.');
    else if (!ctx.knownBlueprints.has(blueprint)) {
      bad('blueprint', `Unknown blueprint "${blueprint}"; this station has ${[...ctx.knownBlueprints].sort().join(', ')}.`);
    }
    if (!deadline) bad('deadline', 'The deadline is empty; give an ISO date such as 2026-08-31.');
    else if (!validDate(deadline)) bad('deadline', `"${deadline}" is not an ISO date such as 2026-08-31.`);
    let quantity: number | null = null;
    if (quantityText !== '') {
      if (!/^\d+$/.test(quantityText) || Number(quantityText) < 1 || Number(quantityText) > 100_000) {
        bad('quantity', `"${quantityText}" is not a whole number between 1 and 100000.`);
      } else quantity = Number(quantityText);
    }
    if (serial) {
      if (!SERIAL.test(serial)) bad('serial', `"${serial.slice(0, 80)}" is not a serial number (3-64 letters, digits, "-", ".", ":" or "_").`);
      if (quantity !== null && quantity !== 1) bad('quantity', 'A row with a serial stands for one device: leave quantity empty or 1.');
      const first = serialLines.get(serial);
      if (first !== undefined) bad('serial', `Serial ${serial} is already in line ${first}.`);
      else serialLines.set(serial, line);
      const owner = orderId ? ctx.orderOfSerial(serial) : null;
      if (owner !== null && owner !== orderId) bad('serial', `Serial ${serial} already belongs to order ${owner}.`);
    } else if (quantityText === '') {
      bad('quantity', 'Give either a serial or, for an order whose serials are not known yet, a quantity.');
    }
    if (assetTag.length > 64) bad('asset_tag', 'The asset tag is longer than 64 characters.');
    // Names go into every export again; one a spreadsheet would run as a formula is refused here.
    for (const [col, value] of [
      ['customer', customer],
      ['school', school],
      ['order_id', orderId],
      ['asset_tag', assetTag],
    ] as const) {
      if (FORMULA_START.test(value))
        bad(
          col,
          `"${value.slice(0, 80)}" starts with "${value[0] === '\t' ? 'tab' : value[0]}", which a spreadsheet runs as a formula; remove that first character.`,
        );
    }

    if (orderId) {
      const existing = ctx.existingOrder(orderId);
      if (existing) {
        for (const [col, value, was] of [
          ['customer', customer, existing.customer],
          ['school', school, existing.school],
          ['blueprint', blueprint, existing.blueprint],
        ] as const) {
          if (value && value !== was) bad(col, `Order ${orderId} was imported before with ${col} "${was}"; an import cannot change it to "${value}".`);
        }
      }
      const order = orders.get(orderId);
      // Only a row whose own fields are good is compared with the order's first row.
      if (order && issues.length === before) {
        for (const [col, value, first] of [
          ['customer', customer, order.customer],
          ['school', school, order.school],
          ['blueprint', blueprint, order.blueprint],
          ['deadline', deadline, order.deadline],
        ] as const) {
          if (value !== first) bad(col, `Order ${orderId} has ${col} "${first}" in line ${order.line}, here "${value}".`);
        }
      }
      if (!serial && quantity !== null) {
        const q = quantityLines.get(orderId);
        if (q !== undefined) bad('quantity', `Order ${orderId} already has its quantity in line ${q}.`);
        else quantityLines.set(orderId, line);
      }
    }
    if (issues.length > before) continue;
    let order = orders.get(orderId);
    if (!order) {
      order = { id: orderId, customer, school, blueprint, deadline, quantity: null, serials: [], line };
      orders.set(orderId, order);
    }
    if (serial) pending.push({ orderId, entry: { serial, assetTag: assetTag || null, line } });
    else order.quantity = quantity;
  }
  for (const p of pending) orders.get(p.orderId)?.serials.push(p.entry);
  for (const order of orders.values()) {
    if (order.quantity !== null && order.serials.length > order.quantity) {
      issues.push({
        line: quantityLines.get(order.id) ?? order.line,
        column: 'quantity',
        message: `Order ${order.id} lists ${order.serials.length} serials but a quantity of ${order.quantity}.`,
      });
    }
  }
  if (issues.length) return { ok: false, issues: issues.sort((a, b) => a.line - b.line) };
  return { ok: true, orders: [...orders.values()], rows: rows.length, delimiter };
}

/** "line 4, deadline: "31.08.2026" is not an ISO date ..." */
export function formatOrderIssue(issue: OrderCsvIssue): string {
  return `line ${issue.line}${issue.column ? `, ${issue.column}` : ''}: ${issue.message}`;
}
