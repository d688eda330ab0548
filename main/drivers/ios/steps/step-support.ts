import { message } from '../../../../shared/messages/catalogue.js';
import type { StepContext } from '../../driver.js';
import { StepAbortedError, stepFailed } from '../../step-errors.js';
import { IosLinkError, type IosDevice, type LockdownSession, type ServiceConnection, type SupervisorIdentity } from '../ios-link.js';
import { supervisorCertificateDer } from '../lockdown/supervisor-signature.js';
import { MCINSTALL_SERVICE, McInstallClient } from '../services/mcinstall-client.js';
import { DEFAULT_SUPERVISION_IDENTITY } from './ios-step.js';

/** What the service steps keep on the run (ctx.captured) for the steps after them, verify above all. */
export const CAPTURED = {
  /** The secret the device was supervised with (supervise), so later steps escalate with the same one. */
  supervisionIdentity: 'supervisionIdentity',
  organization: 'organization',
  /** PayloadIdentifiers the run installed, and those it removed, comma-separated in the order done. */
  profiles: 'profiles',
  removedProfiles: 'removedProfiles',
  /** "bundleId version" of every app the run installed, comma-separated. */
  apps: 'apps',
  deviceName: 'deviceName',
} as const;

const LIST_SEPARATOR = ', ';

export function capturedList(ctx: Pick<StepContext, 'captured'>, key: string): string[] {
  const text = ctx.captured[key];
  return text ? text.split(LIST_SEPARATOR).filter(Boolean) : [];
}

/** The list with `item` at its end (once), and without any entry `replaces` matches. */
export function listWith(list: readonly string[], item: string, replaces: (entry: string) => boolean = (e) => e === item): string {
  return [...list.filter((e) => !replaces(e)), item].join(LIST_SEPARATOR);
}

export function listWithout(list: readonly string[], item: string): string {
  return list.filter((e) => e !== item).join(LIST_SEPARATOR);
}

/**
 * A lockdown session for a step. A device that no longer knows the station (an erase wipes the
 * hosts it trusts) is paired again first; the tile shows the Trust instruction only when the
 * device asks for the tap (a device in Setup Assistant is assumed to pair without it).
 */
export async function openSession(ctx: StepContext, device: IosDevice): Promise<LockdownSession> {
  try {
    return await device.session(ctx.signal);
  } catch (err) {
    if (!(err instanceof IosLinkError && (err.kind === 'not-paired' || err.kind === 'invalid-host-id'))) throw err;
  }
  ctx.log(`${device.udid} does not know this station (any more): pairing again`);
  const supervisor = await optionalIdentity(ctx, ctx.captured[CAPTURED.supervisionIdentity] ?? DEFAULT_SUPERVISION_IDENTITY);
  // The Trust instruction shows from the prompt until the pairing settles.
  const pairing: { done: Promise<void> | null; prompted: Promise<void> | null } = { done: null, prompted: null };
  pairing.done = device.pair({
    signal: ctx.signal,
    onTrustPrompt: () => {
      if (pairing.done) pairing.prompted = ctx.waitFor('trust', message('wait.trust-ios'), pairing.done);
    },
    ...(supervisor ? { supervisor } : {}),
  });
  await pairing.done;
  await pairing.prompted;
  return device.session(ctx.signal);
}

export async function withSession<T>(ctx: StepContext, device: IosDevice, work: (session: LockdownSession) => Promise<T>): Promise<T> {
  const session = await openSession(ctx, device);
  try {
    return await work(session);
  } finally {
    session.close();
  }
}

export async function withService<T>(ctx: StepContext, session: LockdownSession, service: string, work: (conn: ServiceConnection) => Promise<T>): Promise<T> {
  const conn = await session.startService(service, ctx.signal);
  try {
    return await work(conn);
  } finally {
    conn.close();
  }
}

export function withMcInstall<T>(ctx: StepContext, session: LockdownSession, work: (mc: McInstallClient) => Promise<T>): Promise<T> {
  return withService(ctx, session, MCINSTALL_SERVICE, (conn) => work(new McInstallClient(conn, ctx.signal)));
}

/** A supervision identity from the station's secrets, with its certificate as the device compares it (DER). */
export interface StationIdentity extends SupervisorIdentity {
  name: string;
  certificateDer: Buffer;
}

/** The named identity secret; fails the step (not retryable) when it is missing, of another kind or unreadable. */
export async function supervisionIdentity(ctx: StepContext, name: string): Promise<StationIdentity> {
  if (!ctx.secret) throw stepFailed('secret.missing', { name }, false);
  const secret = await ctx.secret(name);
  if (secret.kind !== 'identity') throw stepFailed('secret.wrong-kind', { name, kind: secret.kind, expected: 'identity' }, false);
  const identity = { certificatePem: secret.certificatePem, privateKeyPem: secret.privateKeyPem };
  try {
    return { ...identity, name, certificateDer: supervisorCertificateDer(identity) };
  } catch (err) {
    throw stepFailed('ios.identity-invalid', { name, reason: err instanceof Error ? err.message : String(err) }, false);
  }
}

/** The identity when the station has it; null when the secret is missing (a station that supervises nothing). */
export async function optionalIdentity(ctx: StepContext, name: string): Promise<StationIdentity | null> {
  try {
    return await supervisionIdentity(ctx, name);
  } catch (err) {
    if (err instanceof StepAbortedError) throw err;
    return null;
  }
}

/** The identity later steps escalate with: the one the run supervised with, else the station's default. */
export function runIdentityName(ctx: Pick<StepContext, 'captured'>): string {
  return ctx.captured[CAPTURED.supervisionIdentity] ?? DEFAULT_SUPERVISION_IDENTITY;
}

/** Resolves never; rejects with StepAbortedError when the step's signal aborts (the device left, the deadline passed). */
export function untilStepEnds(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_, reject) => {
    if (signal.aborted) reject(new StepAbortedError());
    else signal.addEventListener('abort', () => reject(new StepAbortedError()), { once: true });
  });
}
