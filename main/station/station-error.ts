/**
 * An error the technician can act on, with the API code it maps to. Thrown by the station core and
 * by the feature services (shifts, orders, labels, units, quarantine) alike.
 */
export class StationError extends Error {
  override name = 'StationError';
  constructor(
    readonly code: 'not_found' | 'conflict' | 'bad_request' | 'unavailable',
    message: string,
  ) {
    super(message);
  }
}
