import { serialPortSettings, type BlueprintStep } from '../../../shared/blueprint/schema.js';
import type { StepContext, StepOutcome } from '../driver.js';
import { StepFailedError } from '../step-errors.js';
import type { SerialSettings } from './serial-link.js';
import type { SerialScriptLine } from './serial-script.js';

/** Runs a script on the step's device port, in its turn; resolves with the captures. */
export type SerialScriptRunner = (
  settings: SerialSettings,
  script: readonly SerialScriptLine[],
  values: Readonly<Record<string, string | null | undefined>>,
  errorPattern: string | false | undefined,
) => Promise<Record<string, string>>;

/** The device a step runs on, as the driver identified it. */
export interface StepDevice {
  portPath: string;
  serial: string;
  model: string;
  osVersion: string | null;
  /** True when the serial number came from the identify script (not from the USB iSerial). */
  identifiedByScript: boolean;
}

const DEFAULT_SETTINGS = serialPortSettings.parse({}) as SerialSettings;
const NO_DEVICE_WORK = new Set<BlueprintStep['type']>(['verify', 'print-label', 'pack']);

/** What each blueprint step type does on a serial device. */
export async function runSerialStep(runScript: SerialScriptRunner, device: StepDevice, ctx: StepContext): Promise<StepOutcome> {
  const step = ctx.step;
  const values = { ...ctx.captured, serial: ctx.serial, deviceName: ctx.deviceName ?? ctx.captured.deviceName };
  switch (step.type) {
    case 'identify': {
      if (!step.params.script) {
        return { captured: { serialNumber: device.serial, model: device.model, ...(device.osVersion ? { firmware: device.osVersion } : {}) } };
      }
      const captured = await runScript((step.params.port as SerialSettings | undefined) ?? DEFAULT_SETTINGS, step.params.script, values, step.params.errorPattern);
      if (device.identifiedByScript && captured.serialNumber !== undefined && captured.serialNumber.trim() !== device.serial) {
        throw new StepFailedError(
          'serial.other-device',
          `Another device answers on ${device.portPath} (serial number ${captured.serialNumber}, this run is for ${device.serial}): plug ${device.serial} back in.`,
          false,
        );
      }
      return { captured };
    }
    case 'serial-script': {
      const captured = await runScript(step.params.port as SerialSettings, step.params.script, values, step.params.errorPattern);
      return { captured };
    }
    case 'serial-verify': {
      const captured = await runScript(step.params.port as SerialSettings, step.params.script, values, step.params.errorPattern);
      const all = { ...values, ...captured };
      const wrong: string[] = [];
      for (const [key, template] of Object.entries(step.params.expectCaptured)) {
        const expected = template.replace(/\{([a-zA-Z][a-zA-Z0-9_]*)\}/g, (_m, k: string) => all[k as keyof typeof all] ?? '');
        const actual = captured[key];
        if (actual === undefined) wrong.push(`${key} was not read back (the script has no (?<${key}>…) capture)`);
        else if (actual !== expected) wrong.push(`${key} is "${actual}", expected "${expected}"`);
      }
      if (wrong.length > 0) {
        throw new StepFailedError(
          'serial.verify-mismatch',
          `The device did not keep its settings: ${wrong.join('; ')}. Retry checks again; if it stays wrong, cancel the run and plug the device in again to configure it from the start.`,
          true,
        );
      }
      return { captured, message: `verified ${Object.keys(step.params.expectCaptured).join(', ') || 'script'}` };
    }
    case 'rename':
      return ctx.deviceName ? { captured: { deviceName: ctx.deviceName } } : {};
    case 'manual-check': {
      const prompt = typeof step.params.prompt === 'string' ? step.params.prompt : step.params.prompt.en;
      await ctx.confirmByTechnician(prompt);
      return {};
    }
    default:
      if (NO_DEVICE_WORK.has(step.type)) return {};
      throw new StepFailedError('serial.unsupported-step', `"${step.id}" (${step.type}) cannot run on a serial device: remove it from the blueprint.`, false);
  }
}
