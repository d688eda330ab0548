import type { StepContext } from '../../driver.js';
import { StepAbortedError, stepFailed } from '../../step-errors.js';
import type { IosDevice, LockdownSession, ServiceConnection, SupervisorIdentity } from '../ios-link.js';
import { supervisorCertificateDer } from '../lockdown/supervisor-signature.js';
import { MCINSTALL_SERVICE, McInstallClient } from '../services/mcinstall-client.js';
import { DEFAULT_SUPERVISION_IDENTITY, type IosStepDeps } from './ios-step.js';
import { pairedSession, supervisionIdentity as namedIdentity } from './trust-prompt.js';

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

/** A lockdown session for the work, closed after; a device that forgot the station (erased) is paired first. */
export async function withSession<T>(ctx: StepContext, device: IosDevice, deps: IosStepDeps, work: (session: LockdownSession) => Promise<T>): Promise<T> {
  const session = await pairedSession(ctx, device, deps);
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
  const identity = await namedIdentity(ctx, name);
  if (!identity) throw stepFailed('secret.missing', { name }, false);
  try {
    return { ...identity, name, certificateDer: supervisorCertificateDer(identity) };
  } catch (err) {
    throw stepFailed('ios.identity-invalid', { name, reason: err instanceof Error ? err.message : String(err) }, false);
  }
}

/** The identity when the station has it; null when the secret is missing or unusable (then nothing is escalated). */
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
