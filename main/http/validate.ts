import { z } from 'zod';
import { AppError } from '../../shared/contract/errors.js';
import { message } from '../../shared/messages/catalogue.js';

/**
 * The one "parse or 400" of both servers: the value must match the schema, else a bad_request
 * naming every problem (zod's own wording, one line per issue, prefixed with what was checked).
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  throw new AppError('bad_request', message('http.invalid-input', { what, issues: issuesText(parsed.error) }));
}

/** zod's pretty error on one line ("✖ msg → at path; ✖ ..."), cut to a readable length. */
export function issuesText(error: z.ZodError): string {
  const text = z
    .prettifyError(error)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
  return text.length > 600 ? `${text.slice(0, 600)}…` : text;
}
