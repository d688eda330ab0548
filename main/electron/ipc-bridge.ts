import { AppError } from '../../shared/contract/errors.js';
import { message as text } from '../../shared/messages/catalogue.js';
import type { Logger } from '../logging/logger.js';
import { callStationMethod, toApiError } from '../api/station-methods.js';
import type { StationCore } from '../station/station-core.js';
import { isAppUrl } from './app-protocol.js';
import type { BridgeReply } from './bridge-channels.js';

/**
 * One StationApi call from the preload bridge. Only the app's own page may call (the sender
 * frame's URL must be app://station/...); the method and its parameters are checked against the
 * shared contract by `callStationMethod`, exactly as for the WebSocket transport.
 */
export function handleBridgeCall(
  core: StationCore,
  senderUrl: string | null | undefined,
  message: unknown,
  logger: Logger,
): BridgeReply | Promise<BridgeReply> {
  if (!isAppUrl(senderUrl)) {
    logger.log('warn', `refused a bridge call from ${String(senderUrl)}`);
    return { ok: false, error: new AppError('unauthorized', text('api.ui-only')).toBody().error };
  }
  const { method, params } = (typeof message === 'object' && message !== null ? message : {}) as { method?: unknown; params?: unknown };
  const failed = (err: unknown): BridgeReply => {
    const { status, error } = toApiError(err);
    if (status >= 500) logger.log('error', `bridge call ${String(method)} failed: ${(err as Error).stack ?? String(err)}`);
    return { ok: false, error: error.toBody().error };
  };
  try {
    if (typeof method !== 'string') throw new AppError('bad_request', text('api.method-name'));
    const result = callStationMethod(core, method, params);
    // Printing methods (reprintLabel, printUnitLabel) answer with a promise; ipcMain.handle awaits it.
    if (result instanceof Promise)
      return result.then(
        (r: unknown): BridgeReply => ({ ok: true, result: r }),
        (err: unknown) => failed(err),
      );
    return { ok: true, result };
  } catch (err) {
    return failed(err);
  }
}
