import type { RejectedEvent } from '../../shared/contract/hub-api.js';
import { AppError, type ApiErrorBody } from '../../shared/contract/errors.js';
import { message } from '../../shared/messages/catalogue.js';

/**
 * The answer to an ingest batch with dead letters (HTTP 422, code events_rejected, from
 * ERROR_TABLE): the batch is stored up to ackSeq, and the station records the rejected events as
 * its own dead letters instead of sending them again. The body keeps ackSeq and rejected beside
 * `error` (ingestRejectedResponseSchema).
 */
export class EventsRejectedError extends AppError {
  override name = 'EventsRejectedError';
  constructor(
    readonly ackSeq: number,
    readonly rejected: readonly RejectedEvent[],
  ) {
    const first = rejected.slice(0, 3).map((r) => `seq ${r.seq} (${r.code}): ${r.message}`);
    super('events_rejected', message('hub.events-rejected', { count: rejected.length, first: `${first.join('; ')}${rejected.length > 3 ? '; ...' : ''}` }));
  }
  /** Exactly the body stations already parse: the rejected events carry the words, so no `text` here. */
  override toBody(): ApiErrorBody & { ackSeq: number; rejected: RejectedEvent[] } {
    return { error: { code: this.code, message: this.message }, ackSeq: this.ackSeq, rejected: [...this.rejected] };
  }
}

/** A CSV dialect the export does not know, as the API's 400 (the export module throws it in English). */
export function csvDialectError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  return new AppError('bad_request', message('hub.csv-dialect', { detail: (err as Error).message }));
}
