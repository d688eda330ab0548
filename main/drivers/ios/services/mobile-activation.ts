import type { LockdownSession, PlistDict, PlistValue } from '../ios-link.js';
import { encodePlistXml, plistDictField, plistString } from '../plist-codec.js';
import { ActivationServerError, type ActivationServer } from './activation-server.js';

/**
 * com.apple.mobileactivationd and the exchange with the activation server (pymobiledevice3
 * services/mobile_activation.py): session blob -> drmHandshake -> activation info ->
 * deviceActivation -> the record goes back to the device with the server's headers. Every command
 * has its own service connection: the daemon answers one request per connection.
 */
export const MOBILE_ACTIVATION_SERVICE = 'com.apple.mobileactivationd';

/** The device refused a step of the activation; `reason` is its own words. */
export class ActivationRefusedError extends Error {
  override name = 'ActivationRefusedError';
  constructor(
    readonly command: string,
    readonly reason: string,
  ) {
    super(`mobileactivationd ${command}: ${reason}`);
  }
}

/** The server wants the previous owner's Apple ID (its answer is a buddyml form): Activation Lock. */
export class ActivationLockedError extends Error {
  override name = 'ActivationLockedError';
  constructor(readonly reason: string) {
    super(`activation lock: ${reason}`);
  }
}

async function command(session: LockdownSession, signal: AbortSignal, name: string, value?: PlistValue, extra: PlistDict = {}): Promise<PlistDict> {
  const conn = await session.startService(MOBILE_ACTIVATION_SERVICE, signal);
  try {
    const request: PlistDict = { Command: name, ...extra };
    if (value !== undefined) request['Value'] = value;
    await conn.plist.send(request);
    const answer = await conn.plist.receive(signal);
    const error = answer['Error'];
    if (error !== undefined) throw new ActivationRefusedError(name, typeof error === 'string' ? error : JSON.stringify(error));
    return answer;
  } finally {
    conn.close();
  }
}

function valueDict(answer: PlistDict, name: string): PlistDict {
  const value = plistDictField(answer, 'Value');
  if (!value) throw new ActivationRefusedError(name, 'the answer carries no Value');
  return value;
}

/** Activates the device through `server`; the caller checks ActivationState afterwards. */
export async function activateDevice(session: LockdownSession, server: ActivationServer, signal: AbortSignal): Promise<void> {
  const sessionInfo = valueDict(await command(session, signal, 'CreateTunnel1SessionInfoRequest'), 'CreateTunnel1SessionInfoRequest');
  const handshake = await server.handshake(encodePlistXml(sessionInfo));
  const activationInfo = valueDict(await command(session, signal, 'CreateTunnel1ActivationInfoRequest', handshake.body), 'CreateTunnel1ActivationInfoRequest');
  const answer = await server.activate(encodePlistXml(activationInfo));
  if (answer.contentType === 'application/x-buddyml') throw new ActivationLockedError(buddymlTitle(answer.body));
  if (!answer.contentType.endsWith('xml'))
    throw new ActivationServerError(server.activationUrl, `unexpected answer (${answer.contentType || 'no content type'})`);
  await command(session, signal, 'HandleActivationInfoWithSessionRequest', answer.body, { ActivationResponseHeaders: answer.headers });
}

/** The activation state mobileactivationd reports (GetActivationStateRequest), e.g. "Activated". */
export async function activationState(session: LockdownSession, signal: AbortSignal): Promise<string | null> {
  return plistString(await command(session, signal, 'GetActivationStateRequest'), 'Value');
}

/** The title of the server's Activation Lock form (its navigationBar), the words the iPad would show. */
function buddymlTitle(body: Buffer): string {
  const title = /<navigationBar[^>]*\btitle="([^"]*)"/.exec(body.toString('utf8'))?.[1];
  return title && title.trim() ? title.trim() : 'Activation Lock';
}
