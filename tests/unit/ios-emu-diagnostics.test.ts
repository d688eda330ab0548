import { describe, expect, it } from 'vitest';
import { diagnosticsRelayService } from '../emulators/ios/services/diagnostics-relay.js';
import { REAL_DEVICE_MS } from '../emulators/ios/services/timings.js';
import { emulatedIpad, plistClient, serviceHarness } from '../fixtures/ios-service-harness.js';
import { until } from '../fixtures/until.js';

describe('diagnostics_relay', () => {
  it('restarts right after answering when the host does not wait for the disconnect', async () => {
    const harness = serviceHarness(emulatedIpad());
    const client = plistClient(harness.connect(diagnosticsRelayService));
    expect(await client.request({ Request: 'Restart' })).toEqual({ Status: 'Success' });
    await until(() => harness.reboots.length === 1, 'the restart', 5_000, 5);
    expect(harness.reboots).toEqual([REAL_DEVICE_MS.restartAway]);
    expect(await client.receive()).toBeNull();
  });

  it('with WaitForDisconnect restarts once idevicediagnostics has said Goodbye and closed', async () => {
    // Real-device speed, so the fallback for a host that never disconnects (10 s) cannot fire first.
    const harness = serviceHarness(emulatedIpad(), 1);
    const stream = harness.connect(diagnosticsRelayService);
    const client = plistClient(stream);
    expect(await client.request({ Request: 'Restart', WaitForDisconnect: true, DisplayPass: true, DisplayFail: true })).toEqual({ Status: 'Success' });
    expect(await client.request({ Request: 'Goodbye' })).toEqual({ Status: 'Success' });
    expect(harness.reboots).toEqual([]);
    stream.end();
    await until(() => harness.reboots.length === 1, 'the restart', 5_000, 5);
    expect(harness.unplugs).toBe(0);
  });

  it('shuts down by leaving the bus for good', async () => {
    const harness = serviceHarness(emulatedIpad());
    const client = plistClient(harness.connect(diagnosticsRelayService));
    expect(await client.request({ Request: 'Shutdown' })).toEqual({ Status: 'Success' });
    await until(() => harness.unplugs === 1, 'the shutdown', 5_000, 5);
    expect(harness.reboots).toEqual([]);
  });

  it('reports the battery through IORegistry as go-ios batterycheck reads it, and refuses the unknown', async () => {
    const harness = serviceHarness(emulatedIpad({ batteryPercent: 37, chargeSecondsPerPercent: 30 }));
    const client = plistClient(harness.connect(diagnosticsRelayService));
    const answer = await client.request({ Request: 'IORegistry', EntryClass: 'IOPMPowerSource' });
    expect(answer['Status']).toBe('Success');
    expect((answer['Diagnostics'] as Record<string, unknown>)['IORegistry']).toMatchObject({ CurrentCapacity: 37, IsCharging: true });
    expect(await client.request({ Request: 'Teleport' })).toEqual({ Status: 'UnknownRequest' });
  });
});
