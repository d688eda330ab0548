import { message } from '../../../../shared/messages/catalogue.js';
import type { StepContext, StepOutcome } from '../../driver.js';
import { sleep, stepFailed } from '../../step-errors.js';
import { readActivationLock, readActivationState, readBatteryPercent, readIdentity, type ValueReader } from '../device-facts.js';
import { IosLinkError, type IosDevice, type LockdownSession } from '../ios-link.js';
import { marketingName } from '../ios-models.js';
import type { IosStepRunner, IosStepTable } from './ios-step.js';
import { ensurePaired, pairedSession } from './trust-prompt.js';

/** Real devices gain about a percent a minute on a hub port: asking every 15 s is plenty. */
const DEFAULT_POLL_MS = 15_000;
const ACTIVATION_LOCK_REASON = 'com.apple.fmip IsAssociated = true';

/** A session when the device is paired already; null when it is not (identify then reads what an unpaired device tells). */
async function sessionIfPaired(device: IosDevice, signal: AbortSignal): Promise<LockdownSession | null> {
  try {
    return await device.session(signal);
  } catch (err) {
    if (err instanceof IosLinkError && ['not-paired', 'invalid-host-id', 'tls-failed'].includes(err.kind)) return null;
    throw err;
  }
}

/**
 * What the device tells about itself: who it is, its state and charge, and Activation Lock (Find My
 * associated with an Apple ID), which only the owner can lift and which reads true only before an
 * erase: a locked device fails for good and goes to quarantine (QUARANTINE_CODES). Unpaired, a
 * device keeps its serial number, battery and Find My to itself (GetProhibited): those come once
 * wait-for-trust has paired it.
 */
async function deviceFacts(ctx: StepContext, device: IosDevice, reader: ValueReader): Promise<StepOutcome> {
  const id = await readIdentity(reader, ctx.signal);
  const activationState = await readActivationState(reader, ctx.signal);
  const batteryPercent = await readBatteryPercent(reader, ctx.signal);
  const activationLocked = await readActivationLock(reader, ctx.signal);
  const model = marketingName(id.productType);
  if (activationLocked) throw stepFailed('ios.activation-locked', { serial: id.serialNumber ?? ctx.serial, reason: ACTIVATION_LOCK_REASON }, false);
  const captured: Record<string, string> = {
    udid: id.udid ?? device.udid,
    model,
    ...(id.serialNumber ? { serialNumber: id.serialNumber } : {}),
    ...(id.productType ? { productType: id.productType } : {}),
    ...(id.productVersion ? { osVersion: id.productVersion } : {}),
    ...(activationState ? { activationState } : {}),
    ...(batteryPercent !== null ? { batteryPercent: String(batteryPercent) } : {}),
    ...(activationLocked === false ? { activationLock: 'off' } : {}),
  };
  const facts = [
    id.serialNumber,
    model,
    id.productVersion ? `iOS ${id.productVersion}` : null,
    activationState,
    batteryPercent !== null ? `${batteryPercent} %` : null,
  ];
  return { captured, message: facts.filter(Boolean).join(', ') };
}

/** Identifies the device: in a session when it is paired, else with what an unpaired device tells. */
const identify: IosStepRunner = async (ctx, device) => {
  const session = await sessionIfPaired(device, ctx.signal);
  const reader = session ?? (await device.preflight(ctx.signal));
  try {
    return await deviceFacts(ctx, device, reader);
  } finally {
    reader.close();
  }
};

/** Pairs (supervised first, else with the Trust prompt naming the slot), then reads what only a paired device tells (serial number, Activation Lock). */
const waitForTrust: IosStepRunner = async (ctx, device, deps) => {
  const identity = ctx.step.type === 'wait-for-trust' ? ctx.step.params.identity : undefined;
  const paired = await ensurePaired(ctx, device, deps, identity);
  const session = await device.session(ctx.signal);
  try {
    const facts = await deviceFacts(ctx, device, session);
    return { ...facts, message: `${paired ? 'paired' : 'already paired'}: ${facts.message ?? ''}` };
  } finally {
    session.close();
  }
};

/** Waits (the tile saying to charge to the level) until the battery holds the blueprint's minimum. */
const battery: IosStepRunner = async (ctx, device, deps) => {
  const minPercent = ctx.step.type === 'battery' ? ctx.step.params.minPercent : 30;
  const read = async (): Promise<number> => {
    const session = await pairedSession(ctx, device, deps);
    try {
      const level = await readBatteryPercent(session, ctx.signal);
      if (level === null) throw stepFailed('ios.battery-unreadable', { reason: 'com.apple.mobile.battery BatteryCurrentCapacity' }, true);
      return level;
    } finally {
      session.close();
    }
  };
  let level = await read();
  if (level < minPercent) {
    deps.log('info', `battery at ${level} %, waiting for ${minPercent} %`, { serial: ctx.serial });
    const charged = async (): Promise<number> => {
      for (;;) {
        await sleep(deps.pollMs ?? DEFAULT_POLL_MS, ctx.signal);
        const now = await read();
        if (now >= minPercent) return now;
      }
    };
    level = await ctx.waitFor('battery', message('wait.battery', { percent: minPercent }), charged());
  }
  return { captured: { batteryPercent: String(level) }, message: `${level} %` };
};

/** identify, wait-for-trust, battery: the steps that need lockdown only (ios-transport). */
export const pairingSteps: IosStepTable = { identify, 'wait-for-trust': waitForTrust, battery };

export { ensurePaired, pairedSession } from './trust-prompt.js';
