import { message } from '../../shared/messages/catalogue.js';
import { AppError } from '../../shared/contract/errors.js';
import type { Blueprint } from '../../shared/blueprint/schema.js';
import type { Platform } from '../../shared/contract/run-state.js';
import type { LogLevel } from '../logging/logger.js';
import type { DeviceDriver } from './driver.js';
import { iosDriverModule } from './ios/ios-module.js';
import { serialDriverModule } from './serial/serial-module.js';
import type { SimDeviceStorage } from './simulated/simulated-driver.js';
import { simulatedDriverModule } from './simulated/simulated-module.js';
import type { UsbPortFeed } from './usb/usb-port-feed.js';

/** The names `--drivers` takes. `usb` is the bench's USB watcher (ports and notices), not a driver. */
export const DRIVER_NAMES = ['sim', 'usb', 'ios', 'android', 'serial'] as const;
export type DriverName = (typeof DRIVER_NAMES)[number];

/** What a driver module may use to build its driver: station settings and shared services, nothing family-specific. */
export interface DriverBuildContext {
  readonly resourcesDir: string;
  readonly simSpeed: number;
  readonly simFailRate: number;
  readonly simSeed: number;
  /** Fixed serial ports (--serial-port). */
  readonly serialPorts: readonly string[];
  /** Where the simulator keeps its plugged devices across restarts. */
  readonly simStorage: SimDeviceStorage;
  /** The station's current default blueprint for a platform (a serial device's identify script lives there). */
  blueprintFor(platform: Platform): Blueprint | null;
  /** USB devices the watcher sees, for drivers with no enumerator of their own; null without `usb`. */
  readonly usbPorts: UsbPortFeed | null;
  /** The tty of a port under the loopback USB test source (BENCHLINE_TEST_USB=1); null otherwise. */
  readonly testTty: ((portPath: string) => string | null) | null;
  /** The activation server iOS devices are activated through (--ios-activation-url); null: Apple's. */
  readonly iosActivationUrl: string | null;
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
}

/** One device family's driver: registered here by name; the station core never names a family. */
export interface DriverModule {
  build(ctx: DriverBuildContext): DeviceDriver;
}

type RegistryEntry = { kind: 'driver'; module: DriverModule } | { kind: 'bus' } | { kind: 'unbuilt' };

const REGISTRY: Readonly<Record<DriverName, RegistryEntry>> = {
  sim: { kind: 'driver', module: simulatedDriverModule },
  serial: { kind: 'driver', module: serialDriverModule },
  usb: { kind: 'bus' },
  ios: { kind: 'driver', module: iosDriverModule },
  // Named so `--drivers android` answers "not in this build yet" instead of "unknown driver".
  android: { kind: 'unbuilt' },
};

/**
 * The driver modules for `--drivers`, in the order given; the bus watcher is not one. A name whose
 * driver is not in this build is refused with a message naming it, before anything starts.
 */
export function resolveDrivers(names: readonly DriverName[]): DriverModule[] {
  const unbuilt = names.filter((n) => REGISTRY[n].kind === 'unbuilt');
  if (unbuilt.length > 0) throw new AppError('bad_request', message('station.drivers-unbuilt', { drivers: unbuilt.join(', ') }));
  return [...new Set(names)].flatMap((n) => {
    const entry = REGISTRY[n];
    return entry.kind === 'driver' ? [entry.module] : [];
  });
}
