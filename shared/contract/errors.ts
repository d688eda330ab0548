import { z } from 'zod';

/** The error body of every API answer that is not 2xx (CONTRACT.md). */
export const apiErrorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string() }),
});
export type ApiErrorBody = z.infer<typeof apiErrorSchema>;

/** Error codes the station API and its transports use. */
export type ApiErrorCode =
  | 'unauthorized'
  | 'not_found'
  | 'bad_request'
  | 'conflict'
  | 'payload_too_large'
  | 'unavailable'
  | 'internal';

/** An error that crosses the API boundary with a code and a message a person can act on. */
export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
  toBody(): ApiErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}
