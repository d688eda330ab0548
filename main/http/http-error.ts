import { AppError, ERROR_TABLE, type ApiErrorBody, type ErrorCode } from '../../shared/contract/errors.js';
import type { Message } from '../../shared/messages/catalogue.js';

/** @deprecated The codes are shared/contract/errors.ts's ERROR_TABLE; this name stays for callers not yet moved. */
export type HttpErrorCode = ErrorCode;
export type ErrorBody = ApiErrorBody;

/**
 * What a route answers when it fails: an AppError (status and code from ERROR_TABLE, the message
 * from the catalogue) that may carry more of the answer beside `error`.
 */
export class HttpError extends AppError {
  override name = 'HttpError';
  constructor(
    code: ErrorCode,
    text: Message | string,
    /** More of the answer beside `error`, e.g. the hub's ackSeq and rejected events on a 422. */
    readonly extra: Readonly<Record<string, unknown>> = {},
  ) {
    super(code, text);
  }
  static of(code: ErrorCode, text: Message | string): HttpError {
    return new HttpError(code, text);
  }
  override toBody(): ApiErrorBody & Record<string, unknown> {
    return { ...this.extra, ...super.toBody() };
  }
}

/** The status of a code, 500 for codes the table does not know (they are internal by definition). */
export function statusOfCode(code: string): number {
  return (ERROR_TABLE as Record<string, { status: number } | undefined>)[code]?.status ?? 500;
}

/** "20 MB", "64 KB", "512 bytes": body limits as a technician reads them. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1_000_000 && bytes % 1_000_000 === 0) return `${bytes / 1_000_000} MB`;
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KB`;
  return `${bytes} bytes`;
}
