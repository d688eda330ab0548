import type { StepContext, StepOutcome } from '../driver.js';
import { DeviceGoneError, StepAbortedError } from '../step-errors.js';
import { IosLinkError, type IosDevice } from './ios-link.js';
import { linkStepFailure } from './link-failures.js';
import type { IosStepDeps, IosStepRunner } from './steps/ios-step.js';
import { ensurePaired } from './steps/trust-prompt.js';
import type { UsbmuxWatch } from './usbmux/usbmux-watch.js';

/** Times one step is run again because usbmuxd restarted under it (a daemon in a restart loop fails the step instead). */
const MAX_RERUNS_AFTER_RESTART = 3;
/** How long a lost connection waits for usbmuxd to say whether the device left or the daemon died. */
const LOSS_GRACE_MS = 2000;
const LOSS_POLL_MS = 50;

export interface IosStepRun {
  ctx: StepContext;
  runner: IosStepRunner;
  device: IosDevice;
  /** Aborted when usbmuxd says the device left. */
  gone: AbortSignal;
  watch: UsbmuxWatch;
  usbmuxdAddress: string;
  deps: IosStepDeps;
}

/**
 * Runs one step and turns what can go wrong under it into the pipeline's terms: the device leaving
 * is DeviceGoneError (the run waits for it); usbmuxd restarting under the step runs the step again
 * once the daemon is back and still has the device (steps are idempotent, and no detach reaches the
 * run); a device that forgot the pairing (erased, trust reset) is paired again and the step rerun;
 * every other transport failure is the catalogue's message for it.
 */
export async function runIosStep(run: IosStepRun): Promise<StepOutcome> {
  const { ctx, gone, watch } = run;
  const signal = AbortSignal.any([ctx.signal, gone]);
  const stepCtx: StepContext = { ...ctx, signal };
  let reruns = 0;
  let repaired = false;
  for (;;) {
    const outagesBefore = watch.outages;
    try {
      return await run.runner(stepCtx, run.device, run.deps);
    } catch (err) {
      if (gone.aborted) throw new DeviceGoneError(ctx.serial);
      if (ctx.signal.aborted || !(err instanceof IosLinkError)) throw err;
      if (err.kind === 'device-gone' || err.kind === 'usbmuxd-unreachable') {
        const after = await afterConnectionLoss(watch, gone, ctx.signal, outagesBefore);
        if (after === 'gone') throw new DeviceGoneError(ctx.serial);
        if (after === 'aborted') throw new StepAbortedError();
        if (after === 'usbmuxd-restarted' && reruns < MAX_RERUNS_AFTER_RESTART) {
          reruns++;
          run.deps.log('warn', `usbmuxd restarted during the step; the device is still there, running the step again`, { reason: err.message });
          continue;
        }
      }
      if ((err.kind === 'not-paired' || err.kind === 'invalid-host-id') && !repaired && ctx.step.type !== 'wait-for-trust') {
        repaired = true;
        run.deps.log('info', `the device does not know this station any more (${err.deviceReason ?? err.kind}); pairing again`);
        await pairAgain(run, stepCtx);
        continue;
      }
      throw linkStepFailure(err, run.usbmuxdAddress);
    }
  }
}

async function pairAgain(run: IosStepRun, stepCtx: StepContext): Promise<void> {
  try {
    await ensurePaired(stepCtx, run.device, run.deps);
  } catch (err) {
    if (run.gone.aborted) throw new DeviceGoneError(run.ctx.serial);
    if (err instanceof IosLinkError) throw linkStepFailure(err, run.usbmuxdAddress);
    throw err;
  }
}

/**
 * A connection to the device closed under a step: usbmuxd's Detached, or the daemon dying, says
 * which within a moment. 'usbmuxd-restarted' once the daemon is back and still has the device.
 */
async function afterConnectionLoss(
  watch: UsbmuxWatch,
  gone: AbortSignal,
  signal: AbortSignal,
  outagesBefore: number,
): Promise<'gone' | 'aborted' | 'usbmuxd-restarted' | 'lost'> {
  const deadline = Date.now() + LOSS_GRACE_MS;
  while (!gone.aborted && !signal.aborted && watch.connected && watch.outages === outagesBefore && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, LOSS_POLL_MS));
  }
  if (gone.aborted) return 'gone';
  if (signal.aborted) return 'aborted';
  if (watch.connected && watch.outages === outagesBefore) return 'lost';
  await watch.whenConnected(AbortSignal.any([signal, gone]));
  if (gone.aborted) return 'gone';
  if (signal.aborted) return 'aborted';
  return 'usbmuxd-restarted';
}
