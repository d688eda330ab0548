import { z } from 'zod';
import { RUN_STATES } from './run-state.js';

/**
 * Every record the station writes to its outbox, as one discriminated union on `type` (the outbox
 * record's kind). The station validates an event when it writes it, the sender reads it back with
 * the same schemas, and the hub validates what it receives against them (CONTRACT.md "Hub API").
 */

export const isoTimeSchema = z
  .string()
  .min(10)
  .max(40)
  .refine((s) => !Number.isNaN(Date.parse(s)), 'not an ISO 8601 time');
export const idSchema = z.string().min(1).max(200);
const isoTime = isoTimeSchema;
const id = idSchema;

/** Longest free text (an error message, a step event's message) an event carries. */
export const OUTBOX_TEXT_MAX = 10_000;

export const stepEventPayloadSchema = z.object({
  stepIndex: z.number().int().min(0).nullable(),
  step: z.string().max(200).nullable(),
  kind: z.string().min(1).max(40),
  attempt: z.number().int().min(0),
  message: z.string().max(OUTBOX_TEXT_MAX).nullable(),
});

/** A run's committed transition, as main/pipeline/run-outbox.ts builds it. */
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
    blueprintHash: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
    state: z.enum(RUN_STATES),
    step: z.string().max(200).nullable(),
    stepIndex: z.number().int().min(0),
    attempts: z.number().int().min(0),
    errorCode: z.string().max(200).nullable(),
    errorMessage: z.string().max(OUTBOX_TEXT_MAX).nullable(),
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

export const outboxEventSchema = z.discriminatedUnion('type', [runTransitionPayloadSchema, shiftPayloadSchema, runMovedPayloadSchema, unitItemPayloadSchema]);
export type OutboxEvent = z.infer<typeof outboxEventSchema>;
export type OutboxEventKind = OutboxEvent['type'];

export const OUTBOX_EVENT_KINDS = ['run.transition', ...SHIFT_EVENT_TYPES, 'run.moved', 'unit.item'] as const satisfies readonly OutboxEventKind[];

const SCHEMA_OF_KIND: Record<OutboxEventKind, z.ZodType<OutboxEvent>> = {
  'run.transition': runTransitionPayloadSchema,
  'shift.opened': shiftPayloadSchema,
  'shift.operators': shiftPayloadSchema,
  'shift.closed': shiftPayloadSchema,
  'run.moved': runMovedPayloadSchema,
  'unit.item': unitItemPayloadSchema,
};

export function isOutboxEventKind(kind: string): kind is OutboxEventKind {
  return Object.hasOwn(SCHEMA_OF_KIND, kind);
}

export type OutboxParseResult =
  | { known: true; ok: true; event: OutboxEvent }
  | { known: true; ok: false; issues: readonly { path: readonly PropertyKey[]; message: string }[] }
  /** A kind this version does not know (from a newer station): kept as it is, never refused for it. */
  | { known: false };

/** An outbox record's payload checked against the schema of its kind. */
export function parseOutboxEvent(kind: string, payload: unknown): OutboxParseResult {
  if (!isOutboxEventKind(kind)) return { known: false };
  const parsed = SCHEMA_OF_KIND[kind].safeParse(payload);
  return parsed.success ? { known: true, ok: true, event: parsed.data } : { known: true, ok: false, issues: parsed.error.issues };
}

/** Issues as one line: "run.state: Invalid option; at: not an ISO 8601 time". */
export function describeOutboxIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 5)
    .map((i) => `${i.path.map(String).join('.') || 'payload'}: ${i.message}`)
    .join('; ');
}
