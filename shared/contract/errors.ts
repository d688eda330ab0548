import { z } from 'zod';
import type { Message } from '../messages/catalogue.js';
import { formatMessage } from '../messages/format.js';
import { wireMessageSchema } from '../messages/schema.js';

/**
 * The one error table: every error code an API answers with (station API, floor API, hub API,
 * IPC), its HTTP status and whether trying the same request again later can succeed. The code is
 * what clients branch on; what a person reads is the error's message (`text`), from the catalogue.
 */
export const ERROR_TABLE = {
  bad_request: { status: 400, retryable: false },
  unauthorized: { status: 401, retryable: false },
  forbidden: { status: 403, retryable: false },
  not_found: { status: 404, retryable: false },
  conflict: { status: 409, retryable: false },
  payload_too_large: { status: 413, retryable: false },
  unsupported_media_type: { status: 415, retryable: false },
  /** The request named a host this server does not answer to (DNS rebinding guard). */
  misdirected_request: { status: 421, retryable: false },
  /** Some events of a hub ingest batch were set aside as dead letters; the rest were stored. */
  events_rejected: { status: 422, retryable: false },
  rate_limited: { status: 429, retryable: true },
  internal: { status: 500, retryable: true },
  unavailable: { status: 503, retryable: true },
} as const satisfies Record<string, { status: number; retryable: boolean }>;

export type ErrorCode = keyof typeof ERROR_TABLE;
export const ERROR_CODES = Object.keys(ERROR_TABLE) as ErrorCode[];

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_TABLE, code);
}

/**
 * The error body of every API answer that is not 2xx (CONTRACT.md): `code` and an English
 * `message` as before, plus `text`, the message as a catalogue code with its parameters, which a
 * client renders in its reader's language. Older stations send no `text`.
 */
export const apiErrorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), text: wireMessageSchema.optional() }),
});
export type ApiErrorBody = z.infer<typeof apiErrorSchema>;

/**
 * The one error type that crosses a boundary (API, IPC, CLI): a code from ERROR_TABLE and a
 * message from the catalogue. `message` is the English rendering, for logs and the API's
 * `message` field; readers see `text` in their own language.
 */
export class AppError extends Error {
  override name = 'AppError';
  /** What a person reads, as a catalogue code with parameters; null for a legacy prose error. */
  readonly text: Message | null;
  constructor(
    readonly code: ErrorCode,
    text: Message | string,
  ) {
    super(typeof text === 'string' ? text : formatMessage(text, 'en'));
    this.text = typeof text === 'string' ? null : text;
  }
  get status(): number {
    return ERROR_TABLE[this.code].status;
  }
  get retryable(): boolean {
    return ERROR_TABLE[this.code].retryable;
  }
  get params(): Message['params'] | null {
    return this.text?.params ?? null;
  }
  toBody(): ApiErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.text ? { text: this.text } : {}) } };
  }
}

/** Error codes the station API and its transports use (the same table as every other API). */
export type ApiErrorCode = ErrorCode;

/**
 * @deprecated An AppError with a prose message; phase B of issue 9 converts its producers to
 * `new AppError(code, message(...))` and removes this name.
 */
export class ApiError extends AppError {
  override name = 'ApiError';
  constructor(code: ErrorCode, message: string) {
    super(code, message);
  }
}
