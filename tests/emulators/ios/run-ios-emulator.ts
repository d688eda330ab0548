#!/usr/bin/env node
/**
 * The emulated iPads as a process, for the bench and Playwright:
 *   node tests/emulators/ios/run-ios-emulator.ts --listen PATH|PORT --devices N --speed F --activation-url URL
 * Prints one JSON line {address, udids} when usbmuxd listens; SIGTERM/SIGINT close it. Loads the
 * services from services/index.ts. Node runs this file directly (type stripping); the project
 * imports siblings as `.js`, so a resolve hook maps a missing `.js` to its `.ts` before anything
 * else is imported.
 */
import fs from 'node:fs';
import { registerHooks } from 'node:module';
import { fileURLToPath } from 'node:url';

registerHooks({
  resolve(specifier, context, nextResolve) {
    if ((specifier.startsWith('./') || specifier.startsWith('../')) && specifier.endsWith('.js') && context.parentURL?.startsWith('file:')) {
      const asTs = new URL(`${specifier.slice(0, -3)}.ts`, context.parentURL);
      if (!fs.existsSync(new URL(specifier, context.parentURL)) && fs.existsSync(asTs)) return nextResolve(asTs.href, context);
    }
    return nextResolve(specifier, context);
  },
});

interface CliOptions {
  listen: { path: string } | { port: number };
  devices: number;
  speed: number;
  activationUrl: string | null;
}

function usage(problem: string): never {
  process.stderr.write(`${problem}\nusage: run-ios-emulator.ts --listen PATH|PORT [--devices N] [--speed F] [--activation-url URL]\n`);
  process.exit(2);
}

function parseArguments(argv: string[]): CliOptions {
  const values = new Map<string, string>();
  for (let index = 0; index < argv.length; index += 2) {
    const name = argv[index];
    const value = argv[index + 1];
    if (!name?.startsWith('--') || value === undefined) usage(`unexpected argument ${name ?? ''}`);
    values.set(name.slice(2), value);
  }
  for (const name of values.keys()) if (!['listen', 'devices', 'speed', 'activation-url'].includes(name)) usage(`unknown option --${name}`);
  const listen = values.get('listen');
  if (!listen) usage('--listen is required');
  const devices = Number(values.get('devices') ?? '1');
  const speed = Number(values.get('speed') ?? '1');
  if (!Number.isInteger(devices) || devices < 0 || devices > 1024) usage(`--devices must be a whole number 0..1024, got ${values.get('devices')}`);
  if (!Number.isFinite(speed) || speed <= 0) usage(`--speed must be a positive number, got ${values.get('speed')}`);
  const listenOn = /^\d+$/.test(listen) ? { port: Number(listen) } : { path: listen.replace(/^UNIX:/, '') };
  return { listen: listenOn, devices, speed, activationUrl: values.get('activation-url') ?? null };
}

async function main(): Promise<void> {
  const options = parseArguments(process.argv.slice(2));
  const { startIpadEmulator, makeIpadSpec } = await import('./ipad-emulator.js');
  const servicesFile = fileURLToPath(new URL('./services/index.ts', import.meta.url));
  const services = fs.existsSync(servicesFile) ? (await import('./services/index.js')).IPAD_SERVICES : {};
  const emulator = await startIpadEmulator({
    listen: options.listen,
    speed: options.speed,
    activationUrl: options.activationUrl,
    devices: Array.from({ length: options.devices }, (_, slot) => makeIpadSpec(slot)),
    services,
  });
  process.stdout.write(`${JSON.stringify({ address: emulator.address, udids: emulator.udids() })}\n`);
  let closing = false;
  const shutdown = (): void => {
    if (closing) return;
    closing = true;
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`ios emulator failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
