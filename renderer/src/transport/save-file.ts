import { parseSaveFileRequest, saveFileResultSchema, type SaveFileKind, type SaveFileParams, type SaveFileResult } from '../../../shared/contract/save-file.js';
import { preloadBridge, toTransportError } from './bridge-transport.js';
import { TransportError } from './transport.js';

export type SaveFileRequest = { [K in SaveFileKind]: { kind: K; params: SaveFileParams<K> } }[SaveFileKind];

/**
 * In the Electron window: a function that has the main process write a download to a file the
 * technician picks (save dialog). Null where there is no bridge (headless station in a browser).
 */
export function bridgeSaveFile(): ((request: SaveFileRequest) => Promise<SaveFileResult>) | null {
  const bridge = preloadBridge();
  if (!bridge || typeof bridge.saveFile !== 'function') return null;
  const saveFile = bridge.saveFile.bind(bridge);
  return async ({ kind, params }) => {
    const request = parseSaveFileRequest(kind, params);
    if (!request.ok) throw new TransportError('bad_request', request.message);
    let raw: unknown;
    try {
      raw = await saveFile(request.kind, request.params);
    } catch (err) {
      throw toTransportError(err);
    }
    const result = saveFileResultSchema.safeParse(raw);
    if (!result.success) throw new TransportError('bad_response', "The station's answer to saveFile is outside the contract.");
    return result.data;
  };
}
