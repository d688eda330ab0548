#!/usr/bin/env node
/**
 * The emulated iPads as a process, for the bench and Playwright:
 *   node tests/emulators/ios/run-ios-emulator.ts --listen PATH|PORT [--devices N] [--speed F]
 *     [--activation-url URL | --activation-stub] [--mix used|rollout]
 * Prints one JSON line {address, udids, activationUrl} when usbmuxd listens; SIGTERM/SIGINT close
 * it. Loads the services from services/index.ts. --activation-stub runs the activation server stub
 * (activation-server.ts) in this process and points the devices at it; its URL is the station's
 * --ios-activation-url. --mix: `used` (default) iPads set up and activated whose users tap Trust,
 * `rollout` every other one fresh from the box (ipad-spec.ts rolloutIpadSpec). Node runs this file
 * directly (type stripping); the project imports siblings as `.js`, so a resolve hook maps a
 * missing `.js` to its `.ts` before anything else is imported.
 */
import fs from 'node:fs';
import { registerHooks } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { IpadEmulator } from './ipad-emulator.js';

registerHooks({
  resolve(specifier, context, nextResolve) {
    if ((specifier.startsWith('./') || specifier.startsWith('../')) && specifier.endsWith('.js') && context.parentURL?.startsWith('file:')) {
      const asTs = new URL(`${specifier.slice(0, -3)}.ts`, context.parentURL);
      if (!fs.existsSync(new URL(specifier, context.parentURL)) && fs.existsSync(asTs)) return nextResolve(asTs.href, context);
    }
    return nextResolve(specifier, context);
  },
});

const MIXES = ['used', 'rollout'] as const;

interface CliOptions {
  listen: { path: string } | { port: number };
  devices: number;
  speed: number;
  activation: { url: string | null } | 'stub';
  mix: (typeof MIXES)[number];
}

const USAGE = 'usage: run-ios-emulator.ts --listen PATH|PORT [--devices N] [--speed F] [--activation-url URL | --activation-stub] [--mix used|rollout]';

function usage(problem: string): never {
  process.stderr.write(`${problem}\n${USAGE}\n`);
  process.exit(2);
}

function parseArguments(argv: string[]): CliOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        listen: { type: 'string' },
        devices: { type: 'string', default: '1' },
        speed: { type: 'string', default: '1' },
        'activation-url': { type: 'string' },
        'activation-stub': { type: 'boolean', default: false },
        mix: { type: 'string', default: 'used' },
      },
    }));
  } catch (error) {
    usage((error as Error).message);
  }
  const listen = values.listen;
  if (!listen) usage('--listen is required');
  const devices = Number(values.devices);
  const speed = Number(values.speed);
  if (!Number.isInteger(devices) || devices < 0 || devices > 1024) usage(`--devices must be a whole number 0..1024, got ${values.devices}`);
  if (!Number.isFinite(speed) || speed <= 0) usage(`--speed must be a positive number, got ${values.speed}`);
  const mix = MIXES.find((m) => m === values.mix);
  if (!mix) usage(`--mix must be one of ${MIXES.join(', ')}, got ${values.mix}`);
  if (values['activation-stub'] && values['activation-url'] !== undefined) usage('--activation-url and --activation-stub exclude each other');
  const listenOn = /^\d+$/.test(listen) ? { port: Number(listen) } : { path: listen.replace(/^UNIX:/, '') };
  return { listen: listenOn, devices, speed, activation: values['activation-stub'] ? 'stub' : { url: values['activation-url'] ?? null }, mix };
}

async function main(): Promise<void> {
  const options = parseArguments(process.argv.slice(2));
  const { startIpadEmulator } = await import('./ipad-emulator.js');
  const { makeIpadSpec, rolloutIpadSpec } = await import('./ipad-spec.js');
  const servicesFile = fileURLToPath(new URL('./services/index.ts', import.meta.url));
  const services = fs.existsSync(servicesFile) ? (await import('./services/index.js')).IPAD_SERVICES : {};
  let emulator: IpadEmulator | null = null;
  const stub =
    options.activation === 'stub'
      ? await (await import('./activation-server.js')).startActivationServer({ isActivationLocked: (udid) => emulator?.device(udid).activationLocked ?? false })
      : null;
  const activationUrl = stub ? stub.url : options.activation === 'stub' ? null : options.activation.url;
  const specOf = options.mix === 'rollout' ? rolloutIpadSpec : (slot: number) => makeIpadSpec(slot);
  emulator = await startIpadEmulator({
    listen: options.listen,
    speed: options.speed,
    activationUrl,
    devices: Array.from({ length: options.devices }, (_, slot) => specOf(slot)),
    services,
  });
  const running = emulator;
  process.stdout.write(`${JSON.stringify({ address: running.address, udids: running.udids(), activationUrl })}\n`);
  let closing = false;
  const shutdown = (): void => {
    if (closing) return;
    closing = true;
    Promise.all([running.close(), stub?.close()]).then(
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
