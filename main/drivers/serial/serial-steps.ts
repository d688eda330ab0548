import { serialPortSettings, type BlueprintStep } from '../../../shared/blueprint/schema.js';
import type { StepContext, StepOutcome } from '../driver.js';
import { message, type Message } from '../../../shared/messages/catalogue.js';
import { stepFailed } from '../step-errors.js';
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

const DEFAULT_SETTINGS = serialPortSettings.parse({});
const NO_DEVICE_WORK = new Set<BlueprintStep['type']>(['verify', 'print-label', 'pack']);

/** The step types runSerialStep handles: what the serial driver declares it runs. */
export const SERIAL_STEPS: ReadonlySet<BlueprintStep['type']> = new Set<BlueprintStep['type']>([
  'identify',
  'serial-script',
  'serial-verify',
  'rename',
  'manual-check',
  ...NO_DEVICE_WORK,
]);

/** What each blueprint step type does on a serial device. */
export async function runSerialStep(runScript: SerialScriptRunner, device: StepDevice, ctx: StepContext): Promise<StepOutcome> {
  const step = ctx.step;
  const values = { ...ctx.captured, serial: ctx.serial, deviceName: ctx.deviceName ?? ctx.captured.deviceName };
  switch (step.type) {
    case 'identify': {
      if (!step.params.script) {
        return { captured: { serialNumber: device.serial, model: device.model, ...(device.osVersion ? { firmware: device.osVersion } : {}) } };
      }
      const captured = await runScript(step.params.port ?? DEFAULT_SETTINGS, step.params.script, values, step.params.errorPattern);
      if (device.identifiedByScript && captured.serialNumber !== undefined && captured.serialNumber.trim() !== device.serial) {
        throw stepFailed('serial.other-device', { port: device.portPath, found: captured.serialNumber, expected: device.serial }, false);
      }
      return { captured };
    }
    case 'serial-script': {
      const captured = await runScript(step.params.port, step.params.script, values, step.params.errorPattern);
      return { captured };
    }
    case 'serial-verify': {
      const captured = await runScript(step.params.port, step.params.script, values, step.params.errorPattern);
      const all = { ...values, ...captured };
      const wrong: Message<'serial.verify-field' | 'serial.verify-unread'>[] = [];
      for (const [key, template] of Object.entries(step.params.expectCaptured)) {
        const expected = template.replace(/\{([a-zA-Z][a-zA-Z0-9_]*)\}/g, (_m, k: string) => all[k as keyof typeof all] ?? '');
        const actual = captured[key];
        if (actual === undefined) wrong.push(message('serial.verify-unread', { field: key }));
        else if (actual !== expected) wrong.push(message('serial.verify-field', { field: key, actual, expected }));
      }
      if (wrong.length > 0) throw stepFailed('serial.verify-mismatch', { fields: listOf(wrong) }, true);
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
      throw stepFailed('serial.unsupported-step', { step: step.id, type: step.type }, false);
  }
}

/** Several messages as one parameter ("a; b; c"): a message takes single values, so the list nests. */
function listOf(items: readonly Message[]): Message {
  const [first, ...rest] = items;
  if (!first) throw new Error('listOf needs at least one message');
  return rest.length === 0 ? first : message('serial.verify-list', { first, rest: listOf(rest) });
}
