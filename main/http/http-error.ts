/** Error codes either server answers with, each with its HTTP status (CONTRACT.md error shape). */
export const ERROR_STATUS = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  misdirected_request: 421,
  unprocessable: 422,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const;

export type HttpErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorBody {
  error: { code: string; message: string };
}

/** What a route answers when it fails: a status and `{"error": {"code", "message"}}`. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** More of the answer beside `error`, e.g. the hub's ackSeq and rejected events on a 422. */
    readonly extra: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
  static of(code: HttpErrorCode, message: string): HttpError {
    return new HttpError(ERROR_STATUS[code], code, message);
  }
  toBody(): ErrorBody {
    return { ...this.extra, error: { code: this.code, message: this.message } };
  }
}

/** The status of a code, 500 for codes no table knows (they are internal by definition). */
export function statusOfCode(code: string): number {
  return (ERROR_STATUS as Record<string, number>)[code] ?? 500;
}

/** "20 MB", "64 KB", "512 bytes": body limits as a technician reads them. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1_000_000 && bytes % 1_000_000 === 0) return `${bytes / 1_000_000} MB`;
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KB`;
  return `${bytes} bytes`;
}
