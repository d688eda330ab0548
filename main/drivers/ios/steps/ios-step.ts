import type { StepType } from '../../../../shared/blueprint/schema.js';
import type { LogLevel } from '../../../logging/logger.js';
import type { StepContext, StepOutcome } from '../../driver.js';
import type { IosDevice } from '../ios-link.js';

/** The station secret that holds the supervision identity when a blueprint names none. */
export const DEFAULT_SUPERVISION_IDENTITY = 'supervision-identity';

/** What every iOS step gets besides its context and device. */
export interface IosStepDeps {
  /** The activation server (--ios-activation-url), null: Apple's. */
  readonly activationUrl: string | null;
  /** How often a step that waits for the device (battery charging) asks again; 15 s when absent. */
  readonly pollMs?: number;
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
}

/** One blueprint step type on an iOS device. Each is idempotent: run again after a crash, it finishes or finds the work done. */
export type IosStepRunner = (ctx: StepContext, device: IosDevice, deps: IosStepDeps) => Promise<StepOutcome>;

export type IosStepTable = Partial<Record<StepType, IosStepRunner>>;
