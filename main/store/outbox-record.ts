import { describeOutboxIssues, outboxEventSchema, type OutboxEvent, type OutboxEventKind } from '../../shared/contract/outbox-events.js';

/** An outbox event that breaks its own contract: a bug in the code that built it, never the technician's input. */
export class InvalidOutboxEventError extends Error {
  override name = 'InvalidOutboxEventError';
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The event as the outbox stores it, checked first: an event the hub would set aside is refused
 * here, before anything of its transaction is written, and the error reaches the caller's log.
 * The payload is the event as built (not as parsed), so the hub stores the same bytes.
 */
export function outboxRecord(event: OutboxEvent): { kind: OutboxEventKind; payload: string } {
  const parsed = outboxEventSchema.safeParse(event);
  if (!parsed.success) {
    const kind = typeof (event as { type?: unknown } | null)?.type === 'string' ? (event as { type: string }).type : '(no type)';
    throw new InvalidOutboxEventError(
      kind,
      `The station built an invalid ${kind} outbox event and did not save it (a bug): ${describeOutboxIssues(parsed.error.issues)}`,
    );
  }
  return { kind: parsed.data.type, payload: JSON.stringify(event) };
}
