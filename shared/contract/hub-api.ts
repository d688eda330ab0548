import { z } from 'zod';
import { wireMessageSchema } from '../messages/schema.js';
import { orderProgressSchema } from './floor-api.js';
import { idSchema, isoTimeSchema } from './outbox-events.js';

/**
 * The hub's API (CONTRACT.md "Hub API"): what stations send to POST /api/v1/ingest and what the
 * supervisor endpoints and the dashboard's live feed answer. Shared by the hub, the station's
 * outbox sender and the dashboard.
 */

/** Largest batch a station may send in one request; the sender sends fewer. */
export const INGEST_MAX_EVENTS = 1000;
/** Largest ingest body in bytes (413 above it). */
export const INGEST_MAX_BYTES = 2 * 1024 * 1024;

const isoTime = isoTimeSchema;
const id = idSchema;

// The outbox events' payloads are defined once, with the station's producers, in outbox-events.ts.
export {
  SHIFT_EVENT_TYPES,
  runMovedPayloadSchema,
  runTransitionPayloadSchema,
  shiftPayloadSchema,
  stepEventPayloadSchema,
  unitItemPayloadSchema,
  type RunMovedPayload,
  type RunTransitionPayload,
  type ShiftPayload,
  type UnitItemPayload,
} from './outbox-events.js';

/**
 * One outbox record. Kinds the hub knows are validated and counted; other kinds (from a newer
 * station) are stored as they are, so a station is never stuck behind a record its hub is too old for.
 */
export const ingestEventSchema = z
  .object({
    seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    kind: z.string().min(1).max(60),
    at: isoTime,
    payload: z.record(z.string(), z.unknown()),
  })
  .strict();
export type IngestEvent = z.infer<typeof ingestEventSchema>;

export const ingestBodySchema = z
  .object({
    stationId: id,
    events: z.array(ingestEventSchema).max(INGEST_MAX_EVENTS),
    /** Highest seq this station had acknowledged before and has deleted (by this or an earlier hub database). */
    acked: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
    /** The station's clock when it sent the batch: the hub measures the station's clock skew with it. */
    sentAt: isoTime.optional(),
    /** Outbox records still waiting at the station after this batch. */
    backlog: z.number().int().min(0).optional(),
    version: z.string().max(40).optional(),
    /** The station's own name (the header of its shift export). */
    name: z.string().min(1).max(200).optional(),
    /** What the station knows of the devices this batch names: its export reports them. */
    devices: z
      .array(
        z
          .object({
            serial: z.string().min(1).max(200),
            family: z.string().max(40).nullable(),
            model: z.string().max(200).nullable(),
            osVersion: z.string().max(100).nullable(),
          })
          .strict(),
      )
      .max(INGEST_MAX_EVENTS)
      .optional(),
    /** The station's orders as it sees them now (sent when they change): the dashboard's order progress. */
    orders: z.array(orderProgressSchema).max(5000).optional(),
  })
  .strict();
export type IngestBody = z.infer<typeof ingestBodySchema>;

export const ingestResponseSchema = z.object({ ackSeq: z.number().int().min(0) });
export type IngestResponse = z.infer<typeof ingestResponseSchema>;

/**
 * Characters no event may carry in any string or key: C0 controls and DEL except tab, line feed and
 * carriage return. PostgreSQL cannot store NUL, and none of them belongs in a serial or a name.
 */
// eslint-disable-next-line no-control-regex -- this pattern exists to find control characters
export const FORBIDDEN_CONTROL_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
/** Deepest nesting of objects and arrays an event may have (the known kinds need 5). */
export const EVENT_MAX_DEPTH = 32;

/** Why the hub set an event aside as a dead letter instead of storing it. */
export const DEAD_LETTER_CODES = ['invalid_payload', 'control_character', 'payload_too_deep', 'event_unstorable'] as const;
export type DeadLetterCode = (typeof DEAD_LETTER_CODES)[number];

export const rejectedEventSchema = z.object({ seq: z.number().int().min(1), code: z.enum(DEAD_LETTER_CODES), message: z.string() });
export type RejectedEvent = z.infer<typeof rejectedEventSchema>;

/**
 * HTTP 422 from POST /api/v1/ingest: the batch was taken, but these events were set aside as dead
 * letters. ackSeq counts them as received, so the station moves on and records them as dead letters.
 * A replayed batch gets the same rejected entries again (the hub looks its dead letters up by seq).
 */
export const ingestRejectedResponseSchema = z.object({
  error: z.object({ code: z.literal('events_rejected'), message: z.string() }),
  ackSeq: z.number().int().min(0),
  rejected: z.array(rejectedEventSchema).min(1),
});
export type IngestRejectedResponse = z.infer<typeof ingestRejectedResponseSchema>;

/** A row of GET /api/v1/dead-letters. */
export const deadLetterSchema = z.object({
  stationId: z.string().nullable(),
  stationName: z.string(),
  seq: z.number().int(),
  code: z.enum(DEAD_LETTER_CODES),
  message: z.string(),
  receivedAt: z.string(),
});
export type DeadLetter = z.infer<typeof deadLetterSchema>;

export const loginBodySchema = z.object({ username: z.string().min(1).max(100), password: z.string().min(1).max(1000) }).strict();
export const USER_ROLES = ['supervisor', 'admin'] as const;
export type UserRole = (typeof USER_ROLES)[number];
export const loginResponseSchema = z.object({
  token: z.string(),
  username: z.string(),
  role: z.enum(USER_ROLES),
  expiresAt: z.string(),
});
export type LoginResponse = z.infer<typeof loginResponseSchema>;

/** A tile of the dashboard and a row of GET /api/v1/stations (the first ten fields are CONTRACT.md's). */
export const stationTileSchema = z.object({
  stationId: z.string().nullable(),
  name: z.string(),
  online: z.boolean(),
  lastSeen: z.string().nullable(),
  shiftId: z.string().nullable(),
  wip: z.number().int(),
  done: z.number().int(),
  failed: z.number().int(),
  /** Devices done per hour (CONTRACT.md's name; "unit" is a packing unit everywhere else): devicesPerHour is the same figure. */
  unitsPerHour: z.number(),
  firstPassYield: z.number().nullable(),
  devicesPerHour: z.number(),
  shiftOpenedAt: z.string().nullable(),
  shiftOpen: z.boolean(),
  operators: z.array(z.string()),
  cancelled: z.number().int(),
  /** Runs this station holds (in progress, or failed and left for a person) that have not moved for the stall time (issue 13). */
  stalled: z.number().int(),
  ackSeq: z.number().int(),
  backlog: z.number().int().nullable(),
  clockOffsetMs: z.number(),
  /** Events of this station the hub set aside (GET /api/v1/dead-letters lists them). */
  deadLetters: z.number().int(),
});
export type StationTile = z.infer<typeof stationTileSchema>;

export const summarySchema = z.object({
  from: z.string(),
  to: z.string(),
  stations: z.number().int(),
  online: z.number().int(),
  started: z.number().int(),
  done: z.number().int(),
  failed: z.number().int(),
  cancelled: z.number().int(),
  wip: z.number().int(),
  stalled: z.number().int(),
  firstPassYield: z.number().nullable(),
  /** Same figure as devicesPerHour, kept for existing scripts. */
  unitsPerHour: z.number(),
  devicesPerHour: z.number(),
  /** Dead letters of all stations, ever. */
  deadLetters: z.number().int(),
});
export type Summary = z.infer<typeof summarySchema>;

// ---- Issue 13 (FLOOR-HUB): the floor as the supervisor lives it ---------------------------------

/** A failure cause as the hub stored it (`reason`: an error code, a stored catalogue message or prose) and, when it is a catalogue message, that message. */
const causeFields = {
  step: z.string(),
  reason: z.string(),
  /** The reason as a catalogue message, so the dashboard says it in its own language; absent for prose and unknown codes. */
  text: wireMessageSchema.optional(),
};

/** Failures by step and reason: `count` runs (or automatic retries) with this cause. */
export const paretoEntrySchema = z.object({ ...causeFields, count: z.number().int() });
export type ParetoEntry = z.infer<typeof paretoEntrySchema>;

/** An open run (in progress, or failed and left for a person) that has not moved for the stall time. */
export const stalledRunSchema = z.object({
  stationId: z.string().nullable(),
  station: z.string(),
  /** Whether the station is online: an offline station's run may have moved since. */
  online: z.boolean(),
  slot: z.string().nullable(),
  serial: z.string(),
  runId: z.string(),
  state: z.string(),
  step: z.string().nullable(),
  /** The error (failed) as the station sent it, its code and words. */
  errorCode: z.string().nullable(),
  errorMessage: z.string().nullable(),
  text: wireMessageSchema.optional(),
  operator: z.string().nullable(),
  /** When the run last moved. */
  since: z.string(),
});
export type StalledRun = z.infer<typeof stalledRunSchema>;

/**
 * The floor's totals over the stations the hub hears from now: an offline station's last numbers
 * may be stale, so its in-progress and stalled runs are kept apart as `unknown`. Done and failed
 * are results the hub has received and count whatever the station's state.
 */
export const floorTotalsSchema = z.object({
  stations: z.number().int(),
  online: z.number().int(),
  wip: z.number().int(),
  done: z.number().int(),
  failed: z.number().int(),
  stalled: z.number().int(),
  unknown: z.object({ stations: z.number().int(), wip: z.number().int(), stalled: z.number().int() }),
});
export type FloorTotals = z.infer<typeof floorTotalsSchema>;

/** "06:00-22:00": the hours of the day the daily target is spread over (the expected curve). */
export const TARGET_HOURS_PATTERN = /^([01]\d|2[0-3]):[0-5]\d-(([01]\d|2[0-3]):[0-5]\d|24:00)$/;
export const DEFAULT_TARGET_HOURS = '06:00-22:00';

/** One slot of a station as the hub knows it (drill-down): the newest run in it. */
export const slotRunSchema = z.object({
  slot: z.string().nullable(),
  runId: z.string(),
  serial: z.string(),
  model: z.string().nullable(),
  deviceName: z.string().nullable(),
  state: z.string(),
  step: z.string().nullable(),
  stepIndex: z.number().int(),
  attempts: z.number().int(),
  errorCode: z.string().nullable(),
  errorMessage: z.string().nullable(),
  text: wireMessageSchema.optional(),
  failedStep: z.string().nullable(),
  operator: z.string().nullable(),
  shiftId: z.string(),
  startedAt: z.string(),
  /** When the run last moved. */
  since: z.string(),
});
export type SlotRun = z.infer<typeof slotRunSchema>;

/** GET /api/v1/stations/{id}/slots (supervisor): a station's slots, read-only. */
export const stationSlotsSchema = z.object({
  stationId: z.string(),
  name: z.string(),
  online: z.boolean(),
  lastSeen: z.string().nullable(),
  serverTime: z.string(),
  slots: z.array(slotRunSchema),
});
export type StationSlots = z.infer<typeof stationSlotsSchema>;

/** A row of GET /api/v1/stations/{id}/shifts (supervisor), newest first: what the export buttons offer. */
export const stationShiftSchema = z.object({
  shiftId: z.string(),
  openedAt: z.string(),
  closedAt: z.string().nullable(),
  operators: z.array(z.string()),
  runs: z.number().int(),
});
export type StationShift = z.infer<typeof stationShiftSchema>;

// ---- end of issue 13 (FLOOR-HUB) ----------------------------------------------------------------

export const dashboardSchema = z.object({
  serverTime: z.string(),
  stallMinutes: z.number(),
  dailyTarget: z.number().int().nullable(),
  stations: z.array(stationTileSchema),
  /** Devices done per hour per station over the shift: hour starts and one count per hour per station. */
  perHour: z.object({
    hours: z.array(z.string()),
    series: z.array(z.object({ name: z.string(), counts: z.array(z.number().int()) })),
  }),
  /**
   * Devices done today, cumulative, at each hour's end (up to now), and (with a target) how many the
   * target expects by then: the target spread evenly over targetHours.
   */
  cumulative: z.object({
    day: z.string(),
    points: z.array(z.object({ at: z.string(), done: z.number().int(), expected: z.number().optional() })),
  }),
  /** Runs that failed today (each once per step and reason), most frequent first. */
  pareto: z.array(paretoEntrySchema),
  /** Issue 13: today's automatic retries (a try failed and the pipeline tried again on its own), apart from the failed runs. */
  paretoRetried: z.array(paretoEntrySchema),
  /** Issue 13: the floor's totals, offline stations' live numbers apart. */
  totals: floorTotalsSchema,
  /** Issue 13: open runs (failed ones included) that have not moved for stallMinutes, longest first. */
  stalledRuns: z.array(stalledRunSchema),
  /** Issue 13: the hours the daily target is spread over ("06:00-22:00") and how many it expects by now. */
  targetHours: z.string(),
  expectedByNow: z.number().nullable(),
  /** Orders over all stations, with the date they will be done at the last 24 hours' rate. */
  orders: z.array(
    z.object({
      orderId: z.string(),
      customer: z.string(),
      school: z.string(),
      deadline: z.string(),
      expected: z.number().int(),
      received: z.number().int(),
      configured: z.number().int(),
      packed: z.number().int(),
      /** Devices of this order done per day, over the last 24 hours. */
      perDay: z.number(),
      /** When the order will be configured at that rate (ISO date); null without progress to measure. */
      forecast: z.string().nullable(),
      late: z.boolean(),
    }),
  ),
});
export type Dashboard = z.infer<typeof dashboardSchema>;

export const targetBodySchema = z
  .object({
    devices: z.number().int().min(0).max(1_000_000).nullable(),
    /** Issue 13: the working hours the target is spread over; unchanged when left out. */
    hours: z
      .string()
      .regex(TARGET_HOURS_PATTERN, 'hours must read like 06:00-22:00')
      .refine((h) => {
        const [from, to] = h.split('-') as [string, string];
        return from < to;
      }, 'the hours must end after they start, on the same day')
      .optional(),
  })
  .strict();
