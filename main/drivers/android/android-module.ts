import type { DriverModule } from '../registry.js';
import { YumeAdbServer } from './adb-client.js';
import { adbServerPort, startAdbServer } from './adb-server-process.js';
import { AndroidDriver } from './android-driver.js';
import { scaledTimings } from './android-timings.js';

/** `--drivers android`: tablets through the adb server (port 5037 or ANDROID_ADB_SERVER_PORT; `--adb PATH` for the binary). */
export const androidDriverModule: DriverModule = {
  build: (ctx) => {
    const port = adbServerPort();
    const binary = ctx.adbPath ?? 'adb';
    return new AndroidDriver({
      server: new YumeAdbServer(port),
      startServer: () => startAdbServer(binary, port),
      // Emulated tablets run --sim-speed times faster, and so do the pipeline's deadlines.
      timings: scaledTimings(ctx.simSpeed),
      slotForPort: (portPath) => ctx.slotForPort(portPath),
      log: (level, message, fields) => ctx.log(level, message, fields),
    });
  },
};
