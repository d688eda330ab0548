import i18next from 'i18next';
import { beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/contract/errors.js';
import { message } from '../../shared/messages/catalogue.js';
import { createBenchlineBridge, type BridgeIpc } from '../../main/electron/preload-api.js';
import { i18nResources } from '../../renderer/src/common/i18n/index.js';
import { errorText } from '../../renderer/src/station/floor/floor-feedback.js';
import { BridgeTransport } from '../../renderer/src/transport/bridge-transport.js';
import { TransportError } from '../../renderer/src/transport/transport.js';
import { WebSocketTransport } from '../../renderer/src/transport/websocket-transport.js';

/** The refusal a packing scan gets for a closed unit, as the station's API sends it. */
const REFUSAL = new AppError('conflict', message('unit.closed', { unitId: 'U-0007' })).toBody().error;

beforeAll(async () => {
  await i18next.init({
    resources: i18nResources({ de: {}, en: {} }),
    lng: 'de',
    fallbackLng: 'en',
    nsSeparator: false,
    interpolation: { escapeValue: false },
    initAsync: false,
  });
});

async function refusalOf(call: Promise<unknown>): Promise<TransportError> {
  const err = await call.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TransportError);
  return err as TransportError;
}

/** A WebSocket stand-in that opens at once and answers every call with REFUSAL. */
class RefusingSocket {
  static readonly OPEN = 1;
  readyState = 1;
  onopen: (() => void) | null = null;
  onmessage: ((msg: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(readonly url: string) {
    queueMicrotask(() => this.onopen?.());
  }
  send(data: string): void {
    const { id } = JSON.parse(data) as { id: number };
    queueMicrotask(() => this.onmessage?.({ data: JSON.stringify({ kind: 'result', id, ok: false, error: REFUSAL }) }));
  }
  close(): void {}
}

describe('station refusals through the renderer transports', () => {
  it('the Electron bridge carries the catalogue message, and the floor notice shows it in German', async () => {
    const ipc: BridgeIpc = { invoke: async () => ({ ok: false, error: REFUSAL }), on: () => undefined, removeListener: () => undefined };
    const err = await refusalOf(new BridgeTransport(createBenchlineBridge(ipc)).call('listOrders', {}));
    expect(err.remoteCode).toBe('conflict');
    expect(err.text).toEqual({ code: 'unit.closed', params: { unitId: 'U-0007' } });
    await i18next.changeLanguage('de');
    expect(errorText(err)).toMatch(/^Einheit U-0007 ist geschlossen/);
    await i18next.changeLanguage('en');
    expect(errorText(err)).toMatch(/^Unit U-0007 is closed/);
  });

  it('the WebSocket carries it too', async () => {
    const transport = new WebSocketTransport({ url: 'ws://station.test/api/v1/ws', WebSocketImpl: RefusingSocket as unknown as typeof WebSocket });
    await new Promise((r) => setTimeout(r, 0));
    try {
      const err = await refusalOf(transport.call('listOrders', {}));
      expect(err.text).toEqual({ code: 'unit.closed', params: { unitId: 'U-0007' } });
      await i18next.changeLanguage('de');
      expect(errorText(err)).toMatch(/^Einheit U-0007 ist geschlossen/);
    } finally {
      transport.close();
    }
  });

  it('an older station without text still shows its own words', async () => {
    await i18next.changeLanguage('de');
    expect(errorText(new TransportError('remote', 'Unit U-0007 is closed.', 'conflict'))).toBe('Unit U-0007 is closed.');
  });
});
