import { wireMessageSchema } from '../messages/schema.js';
import { z } from 'zod';
import { personText } from './text.js';

/**
 * The StationApi methods of issue 5 (shifts and operators, orders and goods receipt, labels,
 * packing units, quarantine). Spread into `stationMethods` in station-api.ts.
 */

const isoTime = z.string();
const serial = personText('serial', { max: 64 });
export const operatorNameSchema = personText('operator name', { max: 80 });
const operatorName = operatorNameSchema;
const badge = personText('badge', { max: 80 });
const reason = personText('reason', { min: 3, max: 500, multiline: true, minMessage: 'give a reason of at least 3 characters' });
const orderId = personText('order id', { max: 64 });
const unitId = personText('unit id', { max: 64 });
const runId = personText('run id', { max: 100 });
const schoolName = personText('school', { max: 120 });
const customerName = personText('customer', { max: 120 });
const ok = z.object({ ok: z.literal(true) });

export const orderIssueSchema = z.object({ line: z.number().int(), column: z.string().nullable(), message: z.string() });
export const orderImportReportSchema = z.object({
  ok: z.boolean(),
  fileName: z.string().nullable(),
  rows: z.number().int(),
  orders: z.number().int(),
  serials: z.number().int(),
  newSerials: z.number().int(),
  issues: z.array(orderIssueSchema),
});
export type OrderImportReportView = z.infer<typeof orderImportReportSchema>;

export const orderProgressSchema = z.object({
  id: z.string(),
  customer: z.string(),
  school: z.string(),
  blueprint: z.string(),
  deadline: z.string(),
  quantity: z.number().int().nullable(),
  importedAt: isoTime,
  expected: z.number().int(),
  received: z.number().int(),
  missing: z.number().int(),
  unexpected: z.number().int(),
  configured: z.number().int(),
  packed: z.number().int(),
});
export type OrderProgressView = z.infer<typeof orderProgressSchema>;

export const receiptSchema = z.object({
  serial: z.string(),
  status: z.enum(['expected', 'assigned', 'unexpected', 'duplicate']),
  orderId: z.string().nullable(),
  receivedAt: isoTime,
});

/** What a device without an order gets: the station's current batch (an order, or a blueprint and school). */
export const currentBatchSchema = z.object({
  orderId: z.string().nullable(),
  blueprint: z.string(),
  customer: z.string(),
  school: z.string(),
});
export type CurrentBatch = z.infer<typeof currentBatchSchema>;

export const printerConfigViewSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('zpl-tcp'), host: personText('printer host', { max: 253 }), port: z.number().int().min(1).max(65535).default(9100) }).strict(),
  z.object({ kind: z.literal('system'), queue: z.string().regex(/^[A-Za-z0-9_.@-]{1,127}$/), format: z.enum(['pdf', 'zpl']).default('pdf') }).strict(),
  z.object({ kind: z.literal('pdf-file'), dir: personText('folder', { max: 4096 }) }).strict(),
  z.object({ kind: z.literal('none') }).strict(),
]);

export const labelSettingsSchema = z.object({
  printer: printerConfigViewSchema,
  description: z.string(),
  templates: z.array(z.string()),
  autoPrint: z.boolean(),
});

export const unitViewSchema = z.object({
  id: z.string(),
  kind: z.enum(['box', 'cart']),
  school: z.string(),
  customer: z.string().nullable(),
  orderId: z.string().nullable(),
  capacity: z.number().int().nullable(),
  state: z.enum(['open', 'closed']),
  createdAt: isoTime,
  closedAt: isoTime.nullable(),
  count: z.number().int(),
});
export type UnitView = z.infer<typeof unitViewSchema>;

export const unitItemViewSchema = z.object({
  serial: z.string(),
  runId: z.string(),
  packedAt: isoTime,
  operator: z.string().nullable(),
  deviceName: z.string().nullable(),
  assetTag: z.string().nullable(),
  model: z.string().nullable(),
  orderId: z.string().nullable(),
});

export const packResultSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), already: z.boolean(), unit: unitViewSchema }),
  z.object({
    ok: z.literal(false),
    code: z.enum(['unit_closed', 'unit_full', 'no_run', 'not_finished', 'quarantined', 'other_school', 'in_other_unit']),
    /** English, for logs and older clients; `text` is what the technician reads, in their language. */
    message: z.string(),
    text: wireMessageSchema.optional(),
  }),
]);
export type PackResult = z.infer<typeof packResultSchema>;

export const quarantineViewSchema = z.object({
  id: z.number().int(),
  serial: z.string(),
  runId: z.string().nullable(),
  kind: z.enum(['hardware', 'technician']),
  step: z.string().nullable(),
  reason: z.string(),
  /** A failed hardware check's reason as a catalogue message (render it, else show `reason`); older stations send none. */
  reasonText: wireMessageSchema.nullable().optional(),
  at: isoTime,
  shiftId: z.string().nullable(),
  operator: z.string().nullable(),
  releasedAt: isoTime.nullable(),
  releaseNote: z.string().nullable(),
  model: z.string().nullable(),
  customer: z.string().nullable(),
  school: z.string().nullable(),
  orderId: z.string().nullable(),
});

/** "06:00-14:00" windows in the station's local time; a shift closes at the end of its window. */
export const shiftScheduleSchema = z.array(z.string().regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$/, 'use HH:MM-HH:MM, e.g. 06:00-14:00')).max(6);

export const signInResultSchema = z.object({
  operator: z.string(),
  shiftId: z.string(),
  operators: z.array(z.string()),
});

// ---- FLOOR-TECH (issue 13): the sign-in policy, what the floor shows in the header, scanned codes ----

/** Whether devices run while nobody is signed in: `wait` ("Bitte anmelden", the default) or `run` (unattended, a script). */
export const SIGN_IN_POLICIES = ['wait', 'run'] as const;
export type SignInPolicy = (typeof SIGN_IN_POLICIES)[number];
export const signInPolicySchema = z.enum(SIGN_IN_POLICIES);

/** What every renderer shows in the header: the current batch and the sign-in policy (snapshot field and `floor` event). */
export const floorStateSchema = z.object({ batch: currentBatchSchema.nullable(), signInPolicy: signInPolicySchema });
export type FloorState = z.infer<typeof floorStateSchema>;

/**
 * What a scanned code meant at this station, and what was done: a unit label, an order (it became the
 * current batch and started the devices waiting for one), a badge (signed in), a device packed into
 * `packInto`, a device the station knows but that is not plugged in, or nothing it knows.
 */
export const scanResultSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('unit'), unit: unitViewSchema }),
  z.object({ kind: z.literal('order'), batch: currentBatchSchema, started: z.number().int() }),
  z.object({ kind: z.literal('badge'), operator: z.string(), shiftId: z.string(), operators: z.array(z.string()) }),
  z.object({ kind: z.literal('packed'), serial: z.string(), result: packResultSchema }),
  z.object({ kind: z.literal('device'), serial: z.string() }),
  z.object({ kind: z.literal('unknown'), code: z.string() }),
]);
export type ScanResult = z.infer<typeof scanResultSchema>;

const floorTechMethods = {
  setSignInPolicy: { params: z.object({ policy: signInPolicySchema }), result: floorStateSchema },
  /** A code scanned outside a field: resolved by the station (units, orders, badges; devices into `packInto`). */
  scanCode: { params: z.object({ code: personText('code', { max: 128 }), packInto: unitId.optional() }), result: scanResultSchema },
} as const;

// ---- end FLOOR-TECH ----

export const floorMethods = {
  // shifts and operators
  signIn: {
    params: z
      .object({ name: operatorName.optional(), badge: badge.optional() })
      .refine((p) => p.name !== undefined || p.badge !== undefined, 'give a name or scan a badge'),
    result: signInResultSchema,
  },
  signOut: { params: z.object({ name: operatorName }), result: ok },
  shiftSchedule: { params: z.object({}), result: z.object({ windows: shiftScheduleSchema }) },
  setShiftSchedule: { params: z.object({ windows: shiftScheduleSchema }), result: z.object({ windows: shiftScheduleSchema }) },
  // orders and goods receipt
  importOrders: {
    params: z.object({ csv: z.string().max(20_000_000), fileName: personText('file name', { max: 255 }).optional() }),
    result: orderImportReportSchema,
  },
  listOrders: { params: z.object({}), result: z.array(orderProgressSchema) },
  receiveSerial: { params: z.object({ serial, orderId: orderId.optional() }), result: receiptSchema },
  currentBatch: { params: z.object({}), result: currentBatchSchema.nullable() },
  setCurrentBatch: {
    params: z.union([
      z.object({ orderId }).strict(),
      z.object({ blueprint: personText('blueprint', { max: 120 }), customer: customerName, school: schoolName }).strict(),
      z.object({ clear: z.literal(true) }).strict(),
    ]),
    result: currentBatchSchema.nullable(),
  },
  /** The tile asked: start this device's run for an order. */
  assignDevice: { params: z.object({ serial, orderId }), result: ok },
  // labels
  labelSettings: { params: z.object({}), result: labelSettingsSchema },
  setLabelPrinter: { params: z.object({ printer: printerConfigViewSchema, autoPrint: z.boolean().optional() }), result: labelSettingsSchema },
  labelPreview: {
    params: z.object({ template: personText('template', { max: 64 }), runId: runId.optional() }),
    result: z.object({ svg: z.string(), zpl: z.string() }),
  },
  reprintLabel: { params: z.object({ runId }), result: ok },
  // packing units
  listUnits: { params: z.object({ state: z.enum(['open', 'closed']).optional() }), result: z.array(unitViewSchema) },
  createUnit: {
    params: z
      .object({
        kind: z.enum(['box', 'cart']).default('box'),
        school: schoolName.optional(),
        fromSerial: serial.optional(),
        capacity: z.number().int().min(1).max(500).optional(),
      })
      .refine((p) => p.school !== undefined || p.fromSerial !== undefined, 'give the school, or scan a finished device of it'),
    result: unitViewSchema,
  },
  unitDetail: { params: z.object({ unitId }), result: z.object({ unit: unitViewSchema, items: z.array(unitItemViewSchema) }) },
  packDevice: { params: z.object({ unitId, serial }), result: packResultSchema },
  unpackDevice: { params: z.object({ unitId, serial, reason }), result: unitViewSchema },
  closeUnit: { params: z.object({ unitId }), result: unitViewSchema },
  reopenUnit: { params: z.object({ unitId, reason }), result: unitViewSchema },
  printUnitLabel: { params: z.object({ unitId }), result: ok },
  // quarantine
  quarantineDevice: { params: z.object({ serial, reason }), result: ok },
  releaseQuarantine: { params: z.object({ serial, note: reason }), result: ok },
  listQuarantine: { params: z.object({ includeReleased: z.boolean().default(false) }), result: z.array(quarantineViewSchema) },
  ...floorTechMethods,
} as const;
