import { parseSaveFileRequest, type SaveFileResult } from '../../shared/contract/save-file.js';
import { isStationMethod, stationMethods, type StationEvent } from '../../shared/contract/station-api.js';
import type { WireMessage } from '../../shared/messages/schema.js';
import { CALL_CHANNEL, EVENT_CHANNEL, SAVE_FILE_CHANNEL, type BridgeReply } from './bridge-channels.js';

/**
 * `window.benchline` in the Electron window: the renderer's StationApi transport.
 * - `invoke(method, params)` resolves with the method's result; it rejects with a plain
 *   `{ code, message }` object (contextBridge would strip an Error's extra fields), both for calls
 *   refused here (method not in the contract, invalid params) and for errors from the station.
 * - `onEvent(cb)` delivers every pushed StationEvent; the returned function unsubscribes.
 * - `saveFile(kind, params)` has the main process write a download (shift export, unit manifest,
 *   quarantine list; kinds in shared/contract/save-file.ts) to a file picked in a save dialog;
 *   resolves `{ saved: path }` or `{ cancelled: true }`, rejects with `{ code, message }`.
 */
export interface BenchlineBridge {
  invoke(method: string, params?: unknown): Promise<unknown>;
  saveFile(kind: string, params?: unknown): Promise<SaveFileResult>;
  onEvent(callback: (event: StationEvent) => void): () => void;
}

/** The part of Electron's ipcRenderer the bridge uses (injected, so it can be tested without Electron). */
export interface BridgeIpc {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

export interface BridgeError {
  code: string;
  /** English, for logs; a person reads `text` in their language. */
  message: string;
  text?: WireMessage;
}

/** Rejects with a plain BridgeError, which crosses contextBridge intact (an Error would lose `code`). */
function bridgeFailure(error: BridgeError): Promise<never> {
  // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- contextBridge strips an Error's extra fields; the renderer reads `code`
  return Promise.reject({ code: error.code, message: error.message, ...(error.text ? { text: error.text } : {}) } satisfies BridgeError);
}

const refuse = (message: string): Promise<never> => bridgeFailure({ code: 'bad_request', message });

export function createBenchlineBridge(ipc: BridgeIpc): BenchlineBridge {
  return {
    async invoke(method: string, params?: unknown): Promise<unknown> {
      if (typeof method !== 'string' || !isStationMethod(method)) return refuse(`Unknown method "${String(method)}".`);
      const parsed = stationMethods[method].params.safeParse(params ?? {});
      if (!parsed.success) {
        return refuse(`Invalid parameters for ${method}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(params)'} ${i.message}`).join('; ')}`);
      }
      const reply = (await ipc.invoke(CALL_CHANNEL, { method, params: parsed.data })) as BridgeReply;
      if (reply.ok) return reply.result;
      return bridgeFailure(reply.error);
    },
    async saveFile(kind: string, params?: unknown): Promise<SaveFileResult> {
      const request = parseSaveFileRequest(kind, params);
      if (!request.ok) return refuse(request.message);
      const reply = (await ipc.invoke(SAVE_FILE_CHANNEL, { kind: request.kind, params: request.params })) as BridgeReply;
      if (reply.ok) return reply.result as SaveFileResult;
      return bridgeFailure(reply.error);
    },
    onEvent(callback: (event: StationEvent) => void): () => void {
      if (typeof callback !== 'function') throw new TypeError('onEvent needs a callback.');
      // Only the event's payload crosses into the page, never Electron's IPC event object.
      const listener = (_event: unknown, payload: unknown) => callback(payload as StationEvent);
      ipc.on(EVENT_CHANNEL, listener);
      return () => {
        ipc.removeListener(EVENT_CHANNEL, listener);
      };
    },
  };
}
