/**
 * The IPC channels between the preload bridge and the main process. Kept apart from everything
 * else so the preload bundle pulls in nothing but these names and the shared contract.
 */
import type { WireMessage } from '../../shared/messages/schema.js';

export const CALL_CHANNEL = 'benchline:call';
export const EVENT_CHANNEL = 'benchline:event';
/** `window.benchline.saveFile`: the main process writes a download to a file picked in a save dialog. */
export const SAVE_FILE_CHANNEL = 'benchline:save-file';

/** What the main process answers on CALL_CHANNEL. */
export type BridgeReply = { ok: true; result: unknown } | { ok: false; error: { code: string; message: string; text?: WireMessage } };
