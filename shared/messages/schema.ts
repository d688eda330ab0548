import { z } from 'zod';
import type { MessageParam } from './catalogue.js';

/** A message on the wire: a code and its parameters (the receiver renders it in its reader's language). */
export const messageParamSchema: z.ZodType<MessageParam> = z.lazy(() =>
  z.union([z.string(), z.number(), z.object({ code: z.string(), params: z.record(z.string(), messageParamSchema) })]),
) as z.ZodType<MessageParam>;

export const wireMessageSchema = z.object({ code: z.string(), params: z.record(z.string(), messageParamSchema) });
/** A message as it arrives: its code may be one this build does not know (a newer or older station). */
export type WireMessage = z.infer<typeof wireMessageSchema>;
