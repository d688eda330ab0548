import { stationEventSchema, stationMethods, type StationApi, type StationEvent, type StationMethodName } from '../../../shared/contract/station-api.js';
import { TransportError, type ConnectionState, type Transport } from './transport.js';

/**
 * The renderer's one door to the station: a typed StationApi over whichever transport exists.
 * Parameters are checked before they leave and every result and event is checked against the
 * shared zod schemas when it arrives; anything outside the contract is refused.
 */
export class StationClient {
  readonly api: StationApi;

  constructor(private readonly transport: Transport) {
    const api: Record<string, (params: unknown) => Promise<unknown>> = {};
    for (const method of Object.keys(stationMethods) as StationMethodName[]) {
      api[method] = (params) => this.call(method, params);
    }
    this.api = api as StationApi;
  }

  get connection(): ConnectionState {
    return this.transport.connection;
  }

  get kind(): Transport['kind'] {
    return this.transport.kind;
  }

  onConnection(listener: (state: ConnectionState) => void): () => void {
    return this.transport.onConnection(listener);
  }

  onEvent(listener: (event: StationEvent) => void): () => void {
    return this.transport.onEvent((raw) => {
      const parsed = stationEventSchema.safeParse(raw);
      if (parsed.success) listener(parsed.data);
      else console.warn('benchline: refused an event outside the contract', parsed.error.issues);
    });
  }

  close(): void {
    this.transport.close();
  }

  private async call(method: StationMethodName, params: unknown): Promise<unknown> {
    const spec = stationMethods[method];
    const input = spec.params.safeParse(params ?? {});
    if (!input.success) {
      throw new TransportError('bad_request', `Invalid parameters for ${method}: ${input.error.issues.map((i) => i.message).join('; ')}`);
    }
    const raw = await this.transport.call(method, input.data);
    const result = spec.result.safeParse(raw);
    if (!result.success) {
      throw new TransportError('bad_response', `The station's answer to ${method} is outside the contract.`);
    }
    return result.data;
  }
}
