import type { WireMessage } from '../../../shared/messages/schema.js';

/**
 * A transport carries StationApi calls and pushed events between the renderer and the station
 * core. Two exist: Electron's preload bridge and the headless station's WebSocket. Neither
 * knows the contract; StationClient validates everything that crosses.
 */

/** `connecting`: first attempt; `online`: calls work; `reconnecting`: lost, trying again; `no-token`: cannot even try. */
export type ConnectionState = 'connecting' | 'online' | 'reconnecting' | 'no-token';

export interface Transport {
  readonly kind: 'bridge' | 'websocket';
  call(method: string, params: unknown): Promise<unknown>;
  onEvent(listener: (event: unknown) => void): () => void;
  onConnection(listener: (state: ConnectionState) => void): () => void;
  readonly connection: ConnectionState;
  close(): void;
}

export type TransportErrorCode = 'disconnected' | 'timeout' | 'bad_request' | 'bad_response' | 'remote';

/**
 * A failed call. `remote` carries the station's own error code (not_found, conflict...) in
 * `remoteCode` and, from stations that send it, what a person reads as a catalogue message in
 * `text` (rendered in the UI's language; `message` is the station's English words).
 */
export class TransportError extends Error {
  override name = 'TransportError';
  constructor(
    readonly code: TransportErrorCode,
    message: string,
    readonly remoteCode: string | null = null,
    readonly text: WireMessage | null = null,
  ) {
    super(message);
  }
}
