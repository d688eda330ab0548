import { stepFailed } from '../../step-errors.js';
import { IosLinkError } from '../ios-link.js';
import { ActivationServer, APPLE_ACTIVATION_URL } from '../services/activation-server.js';
import { requestRestart } from '../services/diagnostics-relay.js';
import { activateDevice } from '../services/mobile-activation.js';
import type { IosStepRunner } from './ios-step.js';
import { CAPTURED, untilStepEnds, withMcInstall, withSession } from './step-support.js';

/** ActivationState values of a device that needs no activation. */
const ACTIVATED = new Set(['Activated', 'FactoryActivated']);

/**
 * erase: MCInstall EraseDevice, an expected disconnect; the run goes on at the next step when the
 * device is back in Setup Assistant. Run again (a station that died mid-erase), it finds the erase
 * done: an unactivated device without a cloud configuration is what an erase leaves (assumed:
 * nothing a user or host put on an iPad survives without activation), so it is not erased twice.
 * PreserveDataPlan keeps an eSIM's plan; DisallowProximitySetup keeps a nearby iPhone from taking
 * over Setup Assistant, which the next steps drive.
 */
export const eraseStep: IosStepRunner = (ctx, device, deps) =>
  withSession(ctx, device, deps, async (session) => {
    const state = await session.getValue(null, 'ActivationState', ctx.signal);
    return withMcInstall(ctx, session, async (mc) => {
      const configuration = await mc.cloudConfiguration();
      if (state === 'Unactivated' && configuration === null) {
        deps.log('info', 'erase: the device is already in the state an erase leaves it (unactivated, no cloud configuration)', { udid: device.udid });
        return { message: 'already erased' };
      }
      ctx.expectReattach?.();
      const answer = await mc.eraseDevice({ preserveDataPlan: true, disallowProximitySetup: true });
      deps.log('info', `erase: EraseDevice ${answer}, waiting for the device to leave`, { udid: device.udid });
      // The device leaves a moment after it acknowledged: the connection closing is its leaving, which the
      // transport's runner confirms with usbmuxd (DeviceGoneError) and the run takes as the step's end.
      if (answer === 'gone') throw new IosLinkError('device-gone', 'EraseDevice: the device left before it answered', 'ConnectionClosed');
      return mc.untilClosed();
    });
  });

/** activate: the device's own activation through mobileactivationd and the activation server; skipped when already activated. */
export const activateStep: IosStepRunner = async (ctx, device, deps) => {
  const before = await withSession(ctx, device, deps, (session) => session.getValue(null, 'ActivationState', ctx.signal));
  if (typeof before === 'string' && ACTIVATED.has(before)) return { captured: { activationState: before }, message: 'already activated' };
  const server = new ActivationServer(deps.activationUrl ?? APPLE_ACTIVATION_URL, ctx.signal);
  await withSession(ctx, device, deps, (session) => activateDevice(session, server, ctx.signal));
  // A fresh session reads the state: the device may drop the one the activation ran on.
  const after = await withSession(ctx, device, deps, (session) => session.getValue(null, 'ActivationState', ctx.signal));
  if (typeof after !== 'string' || !ACTIVATED.has(after)) throw stepFailed('ios.activation-unconfirmed', { state: typeof after === 'string' ? after : '?' });
  deps.log('info', 'activate: the device is activated', { udid: device.udid, server: server.activationUrl });
  return { captured: { activationState: after } };
};

/** rename: lockdown SetValue DeviceName with the name the blueprint's template gave this device. */
export const renameStep: IosStepRunner = (ctx, device, deps) =>
  withSession(ctx, device, deps, async (session) => {
    const name = ctx.deviceName;
    if (!name) throw stepFailed('ios.no-device-name', { step: ctx.step.id }, false);
    if ((await session.getValue(null, 'DeviceName', ctx.signal)) !== name) await session.setValue(null, 'DeviceName', name, ctx.signal);
    const now = await session.getValue(null, 'DeviceName', ctx.signal);
    if (now !== name)
      throw stepFailed('ios.lockdown-refused', { step: ctx.step.id, reason: `DeviceName is "${typeof now === 'string' ? now : '?'}" after SetValue` });
    return { captured: { [CAPTURED.deviceName]: name } };
  });

/** restart: diagnostics_relay Restart, an expected disconnect; the run goes on when the device is back. */
export const restartStep: IosStepRunner = async (ctx, device, deps) => {
  await withSession(ctx, device, deps, async (session) => {
    ctx.expectReattach?.();
    await requestRestart(session, ctx.signal);
  });
  // The device's leaving (usbmuxd Detached) ends this step; its deadline ends a device that never goes.
  return untilStepEnds(ctx.signal);
};
