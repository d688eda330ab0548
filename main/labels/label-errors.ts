import type { Message, MessageCode } from '../../shared/messages/catalogue.js';
import { formatMessage } from '../../shared/messages/format.js';

/** A label or printer message: a `label.*` catalogue code, so a print-label step can fail with it as it is. */
export type LabelMessage = Message<Extract<MessageCode, `label.${string}`>>;

/**
 * Printing a label went wrong. The technician reads `text` (code and params, in the UI's
 * language); `message` is its English rendering for the log and the label job record.
 */
export class LabelError extends Error {
  override name = 'LabelError';
  constructor(readonly text: LabelMessage) {
    super(formatMessage(text, 'en'));
  }
}
