// Starts emulated Android tablets for manual runs and for processes that need them (benchmarks,
// the station under test): `node tests/emulators/android/run-android-emulator.ts --devices N
// --speed F [--legacy] [--prompt]`. Prints one JSON line {"ports":[…],"serials":[…]} and runs until
// SIGINT/SIGTERM. Node 22 runs this file directly; the hook below lets it load the emulator's
// TypeScript modules, which import each other as ".js" like the rest of tests/.
import { registerHooks } from 'node:module';
import { parseArgs } from 'node:util';

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (err) {
      if (specifier.startsWith('.') && specifier.endsWith('.js')) return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
      throw err;
    }
  },
});

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '1' },
    speed: { type: 'string', default: '1' },
    legacy: { type: 'boolean', default: false },
    prompt: { type: 'boolean', default: false },
  },
});
const count = Number(values.devices);
const speed = Number(values.speed);
if (!Number.isInteger(count) || count < 1 || !(speed > 0)) {
  process.stderr.write('usage: run-android-emulator.ts --devices N (N ≥ 1) --speed F (F > 0) [--legacy] [--prompt]\n');
  process.exit(2);
}

const { startAndroidEmulator, makeTabletSpec } = await import('./adb-emulator.js');
const emulator = await startAndroidEmulator({
  speed,
  devices: Array.from({ length: count }, (_, i) => makeTabletSpec(i, { legacy: values.legacy, usbDebugging: values.prompt ? 'prompt' : 'open' })),
});
const devices = emulator.devices();
process.stdout.write(`${JSON.stringify({ ports: devices.map((d) => d.port), serials: devices.map((d) => d.serial) })}\n`);
const stop = () => void emulator.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
