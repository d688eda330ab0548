import type { EmulatedIpadState, EmulatorEnv, ServiceHandler } from '../emulated-ipad.js';
import { servePlistRequests, stringField, type PlistDict } from './plist-service.js';
import { REAL_DEVICE_MS } from './timings.js';

/**
 * com.apple.mobile.diagnostics_relay (libimobiledevice src/diagnostics_relay.c, go-ios
 * ios/diagnostics/): {Request} answered with {Status: Success | Failure | UnknownRequest}.
 * Restart/Shutdown with WaitForDisconnect (idevicediagnostics and go-ios send it) act once the host
 * closes the connection (idevicediagnostics says Goodbye first), or after a while if it never does;
 * without it they act right after the answer. IORegistry{EntryClass: IOPMPowerSource} gives the
 * battery (go-ios `batterycheck`).
 */

const SUCCESS: PlistDict = { Status: 'Success' };

function batteryRegistry(device: EmulatedIpadState): PlistDict {
  const charging = device.chargeSecondsPerPercent > 0 && device.batteryPercent < 100;
  return {
    Status: 'Success',
    Diagnostics: {
      IORegistry: {
        CurrentCapacity: device.batteryPercent,
        MaxCapacity: 100,
        IsCharging: charging,
        ExternalConnected: true,
        FullyCharged: device.batteryPercent >= 100,
        DesignCapacity: 7606,
        NominalChargeCapacity: 7400,
        AppleRawCurrentCapacity: Math.round((7400 * device.batteryPercent) / 100),
        AppleRawMaxCapacity: 7400,
        CycleCount: 42,
        Temperature: 2950,
        Voltage: 8100,
        InstantAmperage: charging ? 1500 : -300,
        AtCriticalLevel: device.batteryPercent < 5,
        AtWarnLevel: device.batteryPercent < 20,
      },
    },
  };
}

export const diagnosticsRelayService: ServiceHandler = (stream, device, env: EmulatorEnv) => {
  let pendingAction: (() => void) | null = null;
  const runPending = (): void => {
    const action = pendingAction;
    pendingAction = null;
    action?.();
  };
  const schedule = (action: () => void, waitForDisconnect: boolean, ms: number): void => {
    if (waitForDisconnect) {
      pendingAction = action;
      setTimeout(runPending, env.scaled(REAL_DEVICE_MS.waitForDisconnectAtMost)).unref();
    } else setTimeout(action, ms);
  };

  const conn = servePlistRequests(stream, env, 'diagnostics_relay', async (request, c) => {
    const waitForDisconnect = request['WaitForDisconnect'] === true;
    switch (stringField(request, 'Request')) {
      case 'Restart':
        c.send(SUCCESS);
        schedule(() => env.reboot(REAL_DEVICE_MS.restartAway), waitForDisconnect, 0);
        env.log(`restart requested`);
        return;
      case 'Shutdown':
        c.send(SUCCESS);
        // Powered off, the device is gone from the bus until someone plugs it in again.
        schedule(() => env.unplug(), waitForDisconnect, env.scaled(REAL_DEVICE_MS.shutdownBegins));
        return;
      case 'Sleep':
      case 'Goodbye':
        c.send(SUCCESS);
        return;
      case 'IORegistry':
        c.send(request['EntryClass'] === 'IOPMPowerSource' ? batteryRegistry(device) : { Status: 'Success', Diagnostics: { IORegistry: {} } });
        return;
      default:
        c.send({ Status: 'UnknownRequest' });
    }
  });
  void conn.ended.then(runPending);
};
