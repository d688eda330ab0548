import { serialPortSettings, type Blueprint } from '../../../shared/blueprint/schema.js';
import type { DriverModule } from '../registry.js';
import { SerialDriver, type SerialIdentifyScript } from './serial-driver.js';

/** `--drivers serial`: USB-serial bridges (from the bench's USB watcher) and fixed ports. */
export const serialDriverModule: DriverModule = {
  build: (ctx) => {
    const testTty = ctx.testTty;
    return new SerialDriver({
      staticPorts: ctx.serialPorts,
      identifyScript: () => identifyScriptOf(ctx.blueprintFor('serial')),
      ...(ctx.usbPorts ? { usbPorts: ctx.usbPorts } : {}),
      ...(testTty ? { locator: { locate: (usb) => Promise.resolve(testTty(usb.portPath)) } } : {}),
      log: (level, message, fields) => ctx.log(level, message, fields),
    });
  },
};

/** The identify script of the current serial blueprint: how a serial device tells its serial number. */
function identifyScriptOf(blueprint: Blueprint | null): SerialIdentifyScript | null {
  const step = blueprint?.steps.find((s) => s.type === 'identify');
  if (step?.type !== 'identify' || !step.params.script) return null;
  return { port: step.params.port ?? serialPortSettings.parse({}), script: step.params.script, errorPattern: step.params.errorPattern };
}
