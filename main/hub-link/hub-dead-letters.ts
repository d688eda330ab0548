import { z } from 'zod';
import { stripControl } from '../../shared/contract/text.js';
import type { DeadLetterRecord } from '../store/dead-letter-store.js';
import type { OutboxRecord } from '../store/records.js';

/** Where refused events go: filed together with the outbox acknowledgement (DeadLetterStore). */
export interface DeadLetterSink {
  record(letters: readonly DeadLetterRecord[], ackUpTo: number): void;
  count(): number;
}

/**
 * The hub's answer when it refused some events of a batch (HTTP 422, code events_rejected): it
 * kept them as its own dead letters and ackSeq already covers them.
 */
const eventsRejectedSchema = z.object({
  error: z.object({ code: z.literal('events_rejected'), message: z.string() }),
  ackSeq: z.number().int().min(0),
  rejected: z.array(z.object({ seq: z.number().int(), code: z.string(), message: z.string() })),
});
export type RejectedEvent = z.infer<typeof eventsRejectedSchema>['rejected'][number];

/** HTTP statuses that mean "this batch is bad" (not the token, not the hub's load): halved down to the one bad event. */
export const BAD_BATCH_STATUSES = new Set([400, 422]);

export function parseRejection(text: string): z.infer<typeof eventsRejectedSchema> | null {
  try {
    const parsed = eventsRejectedSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** A dead letter of an outbox record; the hub's words are cleaned of control characters before they are stored or shown. */
export function deadLetterOf(record: OutboxRecord, code: string, message: string, rejectedAt: string): Omit<DeadLetterRecord, 'source'> {
  return {
    seq: record.seq,
    kind: record.kind,
    payload: record.payload,
    createdAt: record.createdAt,
    code: stripControl(code).slice(0, 100),
    message: stripControl(message).slice(0, 1000),
    rejectedAt,
  };
}
