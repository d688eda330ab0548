import type { StepType } from '../../../../shared/blueprint/schema.js';
import type { LogLevel } from '../../../logging/logger.js';
import type { StepContext, StepOutcome } from '../../driver.js';
import type { AndroidDevice } from '../android-device.js';
import type { AndroidTimings } from '../android-timings.js';

/** What every Android step gets besides its context and tablet. */
export interface AndroidStepDeps {
  readonly timings: AndroidTimings;
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
}

/**
 * One blueprint step type on an Android tablet. Each is idempotent: run again after a crash, a
 * server restart or a retry, it finishes or finds the work done. `ctx.signal` also aborts when
 * the tablet leaves.
 */
export type AndroidStepRunner = (ctx: StepContext, device: AndroidDevice, deps: AndroidStepDeps) => Promise<StepOutcome>;

export type AndroidStepTable = Partial<Record<StepType, AndroidStepRunner>>;
