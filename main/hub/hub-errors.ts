import type { RejectedEvent } from '../../shared/contract/hub-api.js';

/** Error codes the hub answers with, each with its HTTP status (CONTRACT.md error shape). */
export const HUB_ERROR_STATUS = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  /** Some events of an ingest batch were set aside as dead letters; the rest were stored. */
  events_rejected: 422,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const;

export type HubErrorCode = keyof typeof HUB_ERROR_STATUS;

/** An error that reaches a client as `{"error": {"code", "message"}}` with a message a person can act on. */
export class HubError extends Error {
  override name = 'HubError';
  constructor(
    readonly code: HubErrorCode,
    message: string,
  ) {
    super(message);
  }
  get status(): number {
    return HUB_ERROR_STATUS[this.code];
  }
  toBody(): { error: { code: HubErrorCode; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

/**
 * The answer to an ingest batch with dead letters (HTTP 422): the batch is stored up to ackSeq, and
 * the station records the rejected events as its own dead letters instead of sending them again.
 */
export class EventsRejectedError extends HubError {
  override name = 'EventsRejectedError';
  constructor(
    readonly ackSeq: number,
    readonly rejected: readonly RejectedEvent[],
  ) {
    const first = rejected.slice(0, 3).map((r) => `seq ${r.seq} (${r.code}): ${r.message}`);
    super('events_rejected', `${rejected.length} event(s) rejected: ${first.join('; ')}${rejected.length > 3 ? '; ...' : ''}`);
  }
  override toBody(): { error: { code: HubErrorCode; message: string }; ackSeq: number; rejected: RejectedEvent[] } {
    return { ...super.toBody(), ackSeq: this.ackSeq, rejected: [...this.rejected] };
  }
}
