import { EVENT_MAX_DEPTH, FORBIDDEN_CONTROL_CHARACTERS, type DeadLetterCode, type IngestBody, type IngestEvent } from '../../../shared/contract/hub-api.js';
import {
  describeOutboxIssues,
  parseOutboxEvent,
  type OutboxEvent,
  type RunMovedPayload,
  type RunTransitionPayload,
  type ShiftPayload,
  type UnitItemPayload,
} from '../../../shared/contract/outbox-events.js';
import { AppError } from '../../../shared/contract/errors.js';
import { message } from '../../../shared/messages/catalogue.js';

/** An event that passed validation; projections need only the kinds they know. */
export type ParsedEvent =
  | { seq: number; kind: string; at: string; raw: string; known: 'run'; payload: RunTransitionPayload }
  | { seq: number; kind: string; at: string; raw: string; known: 'shift'; payload: ShiftPayload }
  | { seq: number; kind: string; at: string; raw: string; known: 'moved'; payload: RunMovedPayload }
  | { seq: number; kind: string; at: string; raw: string; known: 'unit'; payload: UnitItemPayload }
  | { seq: number; kind: string; at: string; raw: string; known: null };

/** An event set aside: what the dead_letters table keeps of it. */
export interface DeadEvent {
  seq: number;
  code: DeadLetterCode;
  message: string;
  /** The event as JSON text with every control character escaped, so any database stores it. */
  payload: string;
}

export interface ValidatedBatch {
  events: ParsedEvent[];
  dead: DeadEvent[];
}

/** Makes control characters visible as \uXXXX: safe in PostgreSQL, in logs and in a CSV cell. */
export function escapeControlCharacters(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is this function's job
  return text.replace(/[\u0000-\u001F\u007F]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The event as storable JSON text; an event too deep to serialise keeps its head only. */
function deadPayload(e: IngestEvent): string {
  try {
    return escapeControlCharacters(JSON.stringify(e));
  } catch {
    return JSON.stringify({
      seq: e.seq,
      kind: escapeControlCharacters(e.kind),
      at: escapeControlCharacters(e.at),
      payload: '(not kept: nested too deep to serialise)',
    });
  }
}

/**
 * The first structural problem of a value: nesting deeper than EVENT_MAX_DEPTH or a control
 * character in a string or key. Walks with its own stack, so absurd nesting cannot overflow the call stack.
 */
export function structuralProblem(value: unknown, label = 'event'): { code: DeadLetterCode; message: string } | null {
  const stack: { v: unknown; depth: number; path: string }[] = [{ v: value, depth: 0, path: label }];
  while (stack.length > 0) {
    const { v, depth, path } = stack.pop()!;
    if (typeof v === 'string') {
      const m = FORBIDDEN_CONTROL_CHARACTERS.exec(v);
      if (m)
        return {
          code: 'control_character',
          message: `${path} contains the control character U+${m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}, which no record may carry.`,
        };
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= EVENT_MAX_DEPTH) return { code: 'payload_too_deep', message: `${path} is nested deeper than ${EVENT_MAX_DEPTH} levels.` };
    for (const [k, child] of Object.entries(v)) {
      const m = FORBIDDEN_CONTROL_CHARACTERS.exec(k);
      if (m)
        return {
          code: 'control_character',
          message: `A key in ${path} contains the control character U+${m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}.`,
        };
      stack.push({ v: child, depth: depth + 1, path: `${path}.${k.slice(0, 60)}` });
    }
  }
  return null;
}

/** An event checked against the same schemas the station checked it with when it wrote it. */
function knownEvent(seq: number, kind: string, at: string, raw: string, event: OutboxEvent): ParsedEvent {
  const head = { seq, kind, at, raw };
  switch (event.type) {
    case 'run.transition':
      return { ...head, known: 'run', payload: event };
    case 'unit.item':
      return { ...head, known: 'unit', payload: event };
    case 'run.moved':
      return { ...head, known: 'moved', payload: event };
    default:
      return { ...head, known: 'shift', payload: event };
  }
}

/**
 * Splits a batch into events to store and events to set aside. Problems of the whole batch (a seq
 * twice, another station's record, a station id no database can store) refuse it; a problem of one
 * event refuses only that event, so one bad record never blocks the station's later ones.
 */
export function validateBatch(body: IngestBody): ValidatedBatch {
  const envelope = structuralProblem({ stationId: body.stationId, name: body.name ?? null, version: body.version ?? null }, 'body');
  if (envelope) throw new AppError('bad_request', message('hub.batch-invalid', { detail: envelope.message }));
  const seen = new Set<number>();
  const events: ParsedEvent[] = [];
  const dead: DeadEvent[] = [];
  body.events.forEach((e, i) => {
    if (seen.has(e.seq)) throw new AppError('bad_request', message('hub.seq-twice', { index: i, seq: e.seq }));
    seen.add(e.seq);
    const claimed = e.payload.stationId;
    if (claimed !== undefined && claimed !== body.stationId) {
      throw new AppError(
        'forbidden',
        message('hub.foreign-event', {
          index: i,
          seq: e.seq,
          claimed: escapeControlCharacters(typeof claimed === 'string' ? claimed : JSON.stringify(claimed)),
          stationId: body.stationId,
        }),
      );
    }
    const problem = structuralProblem(e, `events[${i}]`);
    if (problem) {
      dead.push({ seq: e.seq, ...problem, payload: deadPayload(e) });
      return;
    }
    const raw = JSON.stringify(e.payload);
    const parsed = parseOutboxEvent(e.kind, e.payload);
    if (!parsed.known) {
      events.push({ seq: e.seq, kind: e.kind, at: e.at, raw, known: null });
      return;
    }
    if (!parsed.ok) {
      dead.push({
        seq: e.seq,
        code: 'invalid_payload',
        message: escapeControlCharacters(`events[${i}] (seq ${e.seq}, ${e.kind}): ${describeOutboxIssues(parsed.issues)}`),
        payload: deadPayload(e),
      });
      return;
    }
    events.push(knownEvent(e.seq, e.kind, e.at, raw, parsed.event));
  });
  return { events, dead };
}

/** Device and order snapshots are the station's descriptions, not records: control characters in them are kept visibly escaped. */
export function escapeSnapshotStrings<T>(value: T): T {
  if (typeof value === 'string') return escapeControlCharacters(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => escapeSnapshotStrings(v)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeSnapshotStrings(v)])) as T;
  }
  return value;
}
