import { z } from 'zod';
import { messageParamSchema, wireMessageSchema } from '../messages/schema.js';
import { benchEventSchemas, benchMethods, portNoticeViewSchema } from './bench-api.js';
import { floorMethods, floorStateSchema, operatorNameSchema } from './floor-api.js';
import { libraryMethods } from './library-api.js';
import { DEVICE_FAMILIES, PLATFORMS, RUN_STATES, WAIT_REASONS } from './run-state.js';
import { personText } from './text.js';

export {
  PORT_NOTICE_KINDS,
  portNoticeViewSchema,
  slotLayoutSchema,
  type LearnState,
  type PortNoticeKind,
  type PortNoticeView,
  type SlotLayout,
  type SlotView,
  type UsbIdentity,
} from './bench-api.js';

const isoTime = z.string();

/** A blueprint text in both languages; the renderer shows the one it is set to. */
export const labelSchema = z.object({ de: z.string(), en: z.string() });
export type Label = z.infer<typeof labelSchema>;

export const runErrorSchema = z.object({
  /** A message catalogue code (shared/messages); `message` is the English text for logs and older clients. */
  code: z.string(),
  message: z.string(),
  /** The code's parameters; absent from stations that did not store them (the UI then fills `step` itself). */
  params: z.record(z.string(), messageParamSchema).optional(),
  /** The detailed message where it differs from the code (a device's problem: `needs_assignment` with the reason). */
  text: wireMessageSchema.optional(),
});
export type RunError = z.infer<typeof runErrorSchema>;

export const waitingSchema = z.object({
  reason: z.enum(WAIT_REASONS),
  message: z.string(),
  /** The catalogue message where it carries live values (a lane's queue position). */
  text: wireMessageSchema.optional(),
});

/** How far the running step is (an upload, an OS update): live, never stored. */
export const stepProgressSchema = z.object({
  percent: z.number().min(0).max(100),
  bytes: z.number().min(0).optional(),
  total: z.number().min(0).optional(),
  bytesPerSecond: z.number().min(0).optional(),
});
export type StepProgressView = z.infer<typeof stepProgressSchema>;

/**
 * A device as the technician's tile and GET /api/v1/devices show it. The first ten fields are the
 * contract's; the rest feed the tile (names, timing, what the run waits for).
 */
export const deviceViewSchema = z.object({
  serial: z.string(),
  family: z.enum(DEVICE_FAMILIES),
  model: z.string(),
  slot: z.string().nullable(),
  runId: z.string().nullable(),
  state: z.enum(RUN_STATES).nullable(),
  step: z.string().nullable(),
  progress: z.number().min(0).max(1),
  attempts: z.number().int().min(0),
  error: runErrorSchema.nullable(),
  platform: z.enum(PLATFORMS),
  present: z.boolean(),
  name: z.string().nullable(),
  osVersion: z.string().nullable(),
  stepLabel: labelSchema.nullable(),
  stepIndex: z.number().int().min(0),
  stepCount: z.number().int().min(0),
  blueprint: z.string().nullable(),
  startedAt: isoTime.nullable(),
  finishedAt: isoTime.nullable(),
  waiting: waitingSchema.nullable(),
  /** The port the device is in ("1-4.2"); with slot null it shows as "unmapped port 1-4.2". */
  portPath: z.string().nullable().default(null),
  /** The running step's own progress, when it reports one (throttled; absent from older stations). */
  stepProgress: stepProgressSchema.nullable().optional(),
});
export type DeviceView = z.infer<typeof deviceViewSchema>;

export const runSummarySchema = z.object({
  runId: z.string(),
  serial: z.string(),
  slot: z.string().nullable(),
  shiftId: z.string(),
  blueprint: z.string(),
  blueprintVersion: z.number().int(),
  state: z.enum(RUN_STATES),
  step: z.string().nullable(),
  attempts: z.number().int(),
  startedAt: isoTime,
  finishedAt: isoTime.nullable(),
  error: runErrorSchema.nullable(),
});
export type RunSummary = z.infer<typeof runSummarySchema>;

export const stepTimelineEntrySchema = z.object({
  index: z.number().int(),
  id: z.string(),
  type: z.string(),
  label: labelSchema,
  status: z.enum(['pending', 'running', 'waiting', 'done', 'failed', 'skipped', 'interrupted']),
  attempts: z.number().int(),
  startedAt: isoTime.nullable(),
  finishedAt: isoTime.nullable(),
  durationMs: z.number().nullable(),
  /** English words of the step's last message (older clients); `text` is the catalogue message, if it is one. */
  message: z.string().nullable(),
  text: wireMessageSchema.nullable().optional(),
});
export type StepTimelineEntry = z.infer<typeof stepTimelineEntrySchema>;

export const stepEventViewSchema = z.object({
  at: isoTime,
  step: z.string().nullable(),
  kind: z.string(),
  attempt: z.number().int(),
  message: z.string().nullable(),
  text: wireMessageSchema.nullable().optional(),
});

export const runDetailSchema = z.object({
  run: runSummarySchema,
  steps: z.array(stepTimelineEntrySchema),
  captured: z.record(z.string(), z.string()),
  events: z.array(stepEventViewSchema),
  nextStep: labelSchema.nullable(),
});
export type RunDetail = z.infer<typeof runDetailSchema>;

export const shiftViewSchema = z.object({
  id: z.string(),
  openedAt: isoTime,
  closedAt: isoTime.nullable(),
  /** Everyone who worked in the shift. */
  operators: z.array(z.string()),
  /** Who is signed in now. */
  present: z.array(z.string()),
});
export type ShiftView = z.infer<typeof shiftViewSchema>;

export const shiftStatsSchema = z.object({
  done: z.number().int(),
  failed: z.number().int(),
  inProgress: z.number().int(),
  devicesPerHour: z.number(),
});
export type ShiftStats = z.infer<typeof shiftStatsSchema>;

/** The station's link to its hub (benchline station --hub): absent when it reports to none. */
export const hubLinkViewSchema = z.object({
  state: z.enum(['starting', 'online', 'offline', 'rejected', 'stopped']),
  hub: z.string(),
  lastAckSeq: z.number().int().nullable(),
  lastAckAt: isoTime.nullable(),
  backlog: z.number().int(),
  lastError: z.string().nullable(),
  nextAttemptAt: isoTime.nullable(),
  /** Events the hub refused for good (dead letters kept on the station, benchline export --dead-letters). */
  deadLetters: z.number().int().min(0).optional(),
});
export type HubLinkView = z.infer<typeof hubLinkViewSchema>;

export const stationSnapshotSchema = z.object({
  stationId: z.string(),
  stationName: z.string(),
  version: z.string(),
  simulator: z.boolean(),
  shift: shiftViewSchema.nullable(),
  stats: shiftStatsSchema,
  devices: z.array(deviceViewSchema),
  /** Port tiles that are not device runs: unsupported, unreadable or unidentified devices. */
  notices: z.array(portNoticeViewSchema).default([]),
  hub: hubLinkViewSchema.nullable().optional(),
  // FLOOR-TECH (issue 13): the header's batch and sign-in policy, and the station's clock (timers derive from it).
  floor: floorStateSchema.optional(),
  serverTime: isoTime.optional(),
});
export type StationSnapshot = z.infer<typeof stationSnapshotSchema>;

const runIdParams = z.object({ runId: personText('run id', { max: 100 }) });
const operatorName = operatorNameSchema;

export const plugSimulatedParamsSchema = z.object({
  count: z.number().int().min(1).max(256),
  model: personText('model', { max: 60 }).optional(),
  failAt: personText('failing step', { max: 60 }).optional(),
  /** Plug devices with these serials (e.g. an order's); as many as `count`. */
  serials: z
    .array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{2,63}$/, 'a serial of 3-64 letters, digits, "-", ".", ":" or "_"'))
    .min(1)
    .max(256)
    .optional(),
});

/**
 * The StationApi: every call the renderer can make, with the schema of its parameters and of its
 * result. Both transports (Electron's preload bridge and headless mode's WebSocket) validate
 * against this table on both ends, so a message outside it is refused.
 */
export const stationMethods = {
  ...floorMethods,
  snapshot: { params: z.object({}), result: stationSnapshotSchema },
  runDetail: { params: runIdParams, result: runDetailSchema },
  retryRun: { params: runIdParams, result: z.object({ ok: z.literal(true) }) },
  cancelRun: { params: runIdParams, result: z.object({ ok: z.literal(true) }) },
  confirmStep: { params: runIdParams, result: z.object({ ok: z.literal(true) }) },
  skipStep: { params: runIdParams, result: z.object({ ok: z.literal(true) }) },
  openShift: { params: z.object({ operators: z.array(operatorName).min(1).max(20) }), result: shiftViewSchema },
  closeShift: { params: z.object({ shiftId: personText('shift id', { max: 100 }) }), result: shiftViewSchema },
  /** The station's latest shifts, newest first (the export tab's choice; GET /api/v1/shifts). */
  listShifts: { params: z.object({}), result: z.array(shiftViewSchema) },
  plugSimulated: { params: plugSimulatedParamsSchema, result: z.object({ serials: z.array(z.string()) }) },
  unplugSimulated: { params: z.object({ serial: personText('serial', { max: 64 }) }), result: z.object({ ok: z.literal(true) }) },
  replugSimulated: { params: z.object({ serial: personText('serial', { max: 64 }) }), result: z.object({ ok: z.literal(true) }) },
  /** A technician's "new device on this port" (serial ports): the station asks the port who is there now. */
  reidentifyPort: { params: z.object({ portPath: personText('port path', { max: 4096 }) }), result: z.object({ ok: z.literal(true) }) },
  ...benchMethods,
  ...libraryMethods,
} as const;

export type StationMethods = typeof stationMethods;
export type StationMethodName = keyof StationMethods;
export type StationParams<M extends StationMethodName> = z.input<StationMethods[M]['params']>;
export type StationResult<M extends StationMethodName> = z.output<StationMethods[M]['result']>;

/** What the renderer holds: one async function per method. */
export type StationApi = {
  [M in StationMethodName]: (params: StationParams<M>) => Promise<StationResult<M>>;
};

/** Pushed to every connected renderer as state is committed. */
export const stationEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('device'), device: deviceViewSchema }),
  z.object({ type: z.literal('device-removed'), serial: z.string() }),
  z.object({ type: z.literal('stats'), stats: shiftStatsSchema }),
  z.object({ type: z.literal('shift'), shift: shiftViewSchema.nullable() }),
  /** The link to the hub changed (state, backlog, last error); only from a station that reports to one. */
  z.object({ type: z.literal('hub'), hub: hubLinkViewSchema }),
  /** FLOOR-TECH (issue 13): the current batch or the sign-in policy changed. */
  z.object({ type: z.literal('floor'), floor: floorStateSchema }),
  ...benchEventSchemas,
]);
export type StationEvent = z.infer<typeof stationEventSchema>;

export function isStationMethod(name: string): name is StationMethodName {
  return Object.hasOwn(stationMethods, name);
}

/** Frames of the headless WebSocket transport. The preload bridge carries the same payloads. */
export const wsClientFrameSchema = z.object({
  kind: z.literal('call'),
  id: z.number().int(),
  method: z.string(),
  params: z.unknown(),
});
export type WsClientFrame = z.infer<typeof wsClientFrameSchema>;

export const wsServerFrameSchema = z.union([
  z.object({ kind: z.literal('result'), id: z.number().int(), ok: z.literal(true), result: z.unknown() }),
  z.object({
    kind: z.literal('result'),
    id: z.number().int(),
    ok: z.literal(false),
    // `text`: the message as catalogue code and params, rendered in the reader's language (older stations send none).
    error: z.object({ code: z.string(), message: z.string(), text: wireMessageSchema.optional() }),
  }),
  z.object({ kind: z.literal('event'), event: z.unknown() }),
]);
