import { IosLinkError, type LockdownSession } from '../ios-link.js';
import { plistString } from '../plist-codec.js';

/**
 * com.apple.mobile.diagnostics_relay (libimobiledevice src/diagnostics_relay.c, pymobiledevice3
 * services/diagnostics.py). Restart with WaitForDisconnect, as idevicediagnostics sends it: the
 * device restarts once the host has said Goodbye and closed the connection.
 */
export const DIAGNOSTICS_SERVICE = 'com.apple.mobile.diagnostics_relay';

export class DiagnosticsRefusedError extends Error {
  override name = 'DiagnosticsRefusedError';
  constructor(
    readonly request: string,
    readonly reason: string,
  ) {
    super(`diagnostics_relay ${request}: ${reason}`);
  }
}

/** Asks the device to restart; resolves when it has agreed (or already went, closing the connection). */
export async function requestRestart(session: LockdownSession, signal: AbortSignal): Promise<void> {
  const conn = await session.startService(DIAGNOSTICS_SERVICE, signal);
  try {
    await conn.plist.send({ Request: 'Restart', WaitForDisconnect: true });
    const answer = await conn.plist.receive(signal);
    const status = plistString(answer, 'Status');
    if (status !== 'Success') throw new DiagnosticsRefusedError('Restart', status ?? 'no Status');
    await conn.plist.send({ Request: 'Goodbye' });
  } catch (err) {
    if (!(err instanceof IosLinkError && err.kind === 'device-gone')) throw err;
  } finally {
    conn.close();
  }
}
