import { BridgeTransport, preloadBridge } from './bridge-transport.js';
import { StationClient } from './station-client.js';
import { stationToken } from './station-token.js';
import { WebSocketTransport, stationSocketUrl } from './websocket-transport.js';

export { StationClient } from './station-client.js';
export { stationToken } from './station-token.js';
export { TransportError, type ConnectionState, type Transport } from './transport.js';

/** In Electron the preload bridge; in a browser (headless station) the WebSocket of the page's origin. */
export function connectStation(): StationClient {
  const bridge = preloadBridge();
  if (bridge) return new StationClient(new BridgeTransport(bridge));
  return new StationClient(new WebSocketTransport({ url: stationSocketUrl(window.location, stationToken()) }));
}
