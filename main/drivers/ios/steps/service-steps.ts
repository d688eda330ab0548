import { DeviceGoneError, StepAbortedError } from '../../step-errors.js';
import { iosStepError } from '../ios-errors.js';
import { IosLinkError } from '../ios-link.js';
import { installAppStep } from './app-steps.js';
import { activateStep, eraseStep, renameStep, restartStep } from './device-steps.js';
import type { IosStepRunner, IosStepTable } from './ios-step.js';
import { enrollMdmStep, installProfileStep, removeProfileStep, wifiStep } from './profile-steps.js';
import { superviseStep } from './supervise-step.js';
import { verifyStep } from './verify-step.js';

/** Every service failure leaves a step as a catalogue `ios.*` error, logged with the device's own words. */
function mapped(runner: IosStepRunner): IosStepRunner {
  return async (ctx, device, deps) => {
    try {
      return await runner(ctx, device, deps);
    } catch (err) {
      const mappedError = iosStepError(err, ctx);
      // A device leaving, an aborted step and transport failures (the transport's runner maps and logs those) go on as they are.
      if (mappedError instanceof DeviceGoneError || mappedError instanceof StepAbortedError || mappedError instanceof IosLinkError) throw mappedError;
      deps.log('warn', `${ctx.step.type} failed: ${mappedError.message}`, {
        udid: device.udid,
        step: ctx.step.id,
        cause: err instanceof Error && err !== mappedError ? err.message : undefined,
      });
      throw mappedError;
    }
  };
}

/** erase, activate, supervise, enroll-mdm, install-profile, remove-profile, install-app, wifi, rename, restart, verify (ios-steps). */
export const serviceSteps: IosStepTable = {
  erase: mapped(eraseStep),
  activate: mapped(activateStep),
  supervise: mapped(superviseStep),
  'enroll-mdm': mapped(enrollMdmStep),
  'install-profile': mapped(installProfileStep),
  'remove-profile': mapped(removeProfileStep),
  'install-app': mapped(installAppStep),
  wifi: mapped(wifiStep),
  rename: mapped(renameStep),
  restart: mapped(restartStep),
  verify: mapped(verifyStep),
};
