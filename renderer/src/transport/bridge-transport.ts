import { wireMessageSchema } from '../../../shared/messages/schema.js';
import { TransportError, type ConnectionState, type Transport } from './transport.js';

/** What Electron's preload script exposes (contextBridge); the renderer never sees ipcRenderer. */
export interface BenchlineBridge {
  invoke(method: string, params: unknown): Promise<unknown>;
  onEvent(callback: (event: unknown) => void): () => void;
  /** The main process writes a download to a file picked in a save dialog (shared/contract/save-file.ts). */
  saveFile?(kind: string, params: unknown): Promise<unknown>;
}

declare global {
  interface Window {
    benchline?: BenchlineBridge;
  }
}

export function preloadBridge(): BenchlineBridge | null {
  const bridge = typeof window !== 'undefined' ? window.benchline : undefined;
  return bridge && typeof bridge.invoke === 'function' && typeof bridge.onEvent === 'function' ? bridge : null;
}

/** Errors from ipcRenderer.invoke arrive as "Error invoking remote method 'x': Error: message" or as {code, message, text?}. */
export function toTransportError(err: unknown): TransportError {
  if (err && typeof err === 'object') {
    const { code, message, text } = err as { code?: unknown; message?: unknown; text?: unknown };
    const words = typeof message === 'string' ? message.replace(/^Error invoking remote method '[^']*': (\w*Error: )?/, '') : 'The station did not answer.';
    const parsed = wireMessageSchema.safeParse(text);
    return new TransportError('remote', words, typeof code === 'string' ? code : null, parsed.success ? parsed.data : null);
  }
  return new TransportError('remote', String(err));
}

/** The Electron transport: IPC is always up while the window exists. */
export class BridgeTransport implements Transport {
  readonly kind = 'bridge' as const;
  readonly connection: ConnectionState = 'online';

  constructor(private readonly bridge: BenchlineBridge) {}

  async call(method: string, params: unknown): Promise<unknown> {
    try {
      return await this.bridge.invoke(method, params);
    } catch (err) {
      throw toTransportError(err);
    }
  }

  onEvent(listener: (event: unknown) => void): () => void {
    return this.bridge.onEvent(listener);
  }

  onConnection(listener: (state: ConnectionState) => void): () => void {
    listener(this.connection);
    return () => {};
  }

  close(): void {}
}
