import path from 'node:path';
import type { DriverModule } from '../registry.js';
import { loadSimProfiles } from './sim-profiles.js';
import { SimulatedDriver } from './simulated-driver.js';

/** `--drivers sim`: the virtual hub with simulated devices. */
export const simulatedDriverModule: DriverModule = {
  build: (ctx) =>
    new SimulatedDriver({
      storage: ctx.simStorage,
      profiles: loadSimProfiles(path.join(ctx.resourcesDir, 'simulator', 'profiles.json')),
      speed: ctx.simSpeed,
      failRate: ctx.simFailRate,
      seed: ctx.simSeed,
    }),
};
