/** Error codes the hub answers with, each with its HTTP status (CONTRACT.md error shape). */
export const HUB_ERROR_STATUS = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
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
