import { z } from 'zod';
import { orderProgressSchema } from './floor-api.js';
import { RUN_STATES } from './run-state.js';

/**
 * The hub's API (CONTRACT.md "Hub API"): what stations send to POST /api/v1/ingest and what the
 * supervisor endpoints and the dashboard's live feed answer. Shared by the hub, the station's
 * outbox sender and the dashboard.
 */

/** Largest batch a station may send in one request; the sender sends fewer. */
export const INGEST_MAX_EVENTS = 1000;
/** Largest ingest body in bytes (413 above it). */
export const INGEST_MAX_BYTES = 2 * 1024 * 1024;

const isoTime = z.string().min(10).max(40).refine((s) => !Number.isNaN(Date.parse(s)), 'not an ISO 8601 time');
const id = z.string().min(1).max(200);

export const stepEventPayloadSchema = z.object({
  stepIndex: z.number().int().min(0).nullable(),
  step: z.string().max(200).nullable(),
  kind: z.string().min(1).max(40),
  attempt: z.number().int().min(0),
  message: z.string().max(10_000).nullable(),
});

/** A run's committed transition, as main/pipeline/run-controller.ts writes it to the outbox. */
export const runTransitionPayloadSchema = z.object({
  type: z.literal('run.transition'),
  stationId: id,
  at: isoTime,
  run: z.object({
    id,
    serial: z.string().min(1).max(200),
    shiftId: id,
    slot: z.string().max(200).nullable(),
    operator: z.string().max(2000).nullable(),
    blueprint: z.string().min(1).max(200),
    blueprintVersion: z.number().int(),
    /** The resolved blueprint's sha-256 (issue 10); stations before it do not send it. */
    blueprintHash: z.string().regex(/^[0-9a-f]{64}$/).optional(),
    state: z.enum(RUN_STATES),
    step: z.string().max(200).nullable(),
    stepIndex: z.number().int().min(0),
    attempts: z.number().int().min(0),
    errorCode: z.string().max(200).nullable(),
    errorMessage: z.string().max(10_000).nullable(),
    failedStep: z.string().max(200).nullable(),
    captured: z.record(z.string(), z.string()),
    startedAt: isoTime,
    finishedAt: isoTime.nullable(),
  }),
  events: z.array(stepEventPayloadSchema).max(1000),
});
export type RunTransitionPayload = z.infer<typeof runTransitionPayloadSchema>;

export const SHIFT_EVENT_TYPES = ['shift.opened', 'shift.operators', 'shift.closed'] as const;

/** A shift opened, joined by operators, or closed: the whole shift as it is after the change. */
export const shiftPayloadSchema = z.object({
  type: z.enum(SHIFT_EVENT_TYPES),
  stationId: id,
  at: isoTime,
  shift: z.object({
    id,
    openedAt: isoTime,
    closedAt: isoTime.nullable(),
    operators: z.array(z.string().max(200)).max(200),
  }),
});
export type ShiftPayload = z.infer<typeof shiftPayloadSchema>;

/** A run handed over from one shift to the next when its shift closed while it was in flight. */
export const runMovedPayloadSchema = z.object({
  type: z.literal('run.moved'),
  stationId: id,
  at: isoTime,
  runId: id,
  fromShift: id,
  toShift: id,
  state: z.enum(RUN_STATES),
  operator: z.string().max(2000).nullable(),
});
export type RunMovedPayload = z.infer<typeof runMovedPayloadSchema>;

/** A device packed into a packing unit, or taken out of it again. */
export const unitItemPayloadSchema = z.object({
  type: z.literal('unit.item'),
  stationId: id,
  at: isoTime,
  unitId: id,
  serial: z.string().min(1).max(200),
  runId: id.nullable(),
  packed: z.boolean(),
});
export type UnitItemPayload = z.infer<typeof unitItemPayloadSchema>;

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
          .object({ serial: z.string().min(1).max(200), family: z.string().max(40).nullable(), model: z.string().max(200).nullable(), osVersion: z.string().max(100).nullable() })
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
  unitsPerHour: z.number(),
  firstPassYield: z.number().nullable(),
  shiftOpenedAt: z.string().nullable(),
  shiftOpen: z.boolean(),
  operators: z.array(z.string()),
  cancelled: z.number().int(),
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
  unitsPerHour: z.number(),
  /** Dead letters of all stations, ever. */
  deadLetters: z.number().int(),
});
export type Summary = z.infer<typeof summarySchema>;

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
  /** Devices done today, cumulative, at each hour's end (up to now). */
  cumulative: z.object({ day: z.string(), points: z.array(z.object({ at: z.string(), done: z.number().int() })) }),
  /** Failures today by step and reason, most frequent first. */
  pareto: z.array(z.object({ step: z.string(), reason: z.string(), count: z.number().int() })),
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

export const targetBodySchema = z.object({ devices: z.number().int().min(0).max(1_000_000).nullable() }).strict();
