import type { Message } from '../../shared/messages/catalogue.js';
import { formatMessage } from '../../shared/messages/format.js';
import { wireMessageSchema, type WireMessage } from '../../shared/messages/schema.js';

/**
 * A step event's message as the `message` column stores it: a catalogue message as its JSON
 * (`{"code":…,"params":…}`), so each reader renders it in their own language. Rows written before
 * issue 9 hold English prose, and blueprint texts (a manual check's prompt) stay as they are.
 */
export function storedEventMessage(text: Message | string | null): string | null {
  if (text === null || typeof text === 'string') return text;
  return JSON.stringify({ code: text.code, params: text.params });
}

/** A stored event message read back: the catalogue message if it is one, and its English words (logs, exports, the hub). */
export function readEventMessage(stored: string | null): { message: string | null; text: WireMessage | null } {
  if (stored === null || !stored.startsWith('{"code":')) return { message: stored, text: null };
  try {
    const parsed = wireMessageSchema.safeParse(JSON.parse(stored));
    if (parsed.success) return { message: formatMessage(parsed.data, 'en'), text: parsed.data };
  } catch {
    // Not JSON after all: a prose message that happens to start like one.
  }
  return { message: stored, text: null };
}

/** The English words of a stored event message, for readers that show prose only (exports, the hub's copy). */
export function eventMessageProse(stored: string | null): string | null {
  return readEventMessage(stored).message;
}
