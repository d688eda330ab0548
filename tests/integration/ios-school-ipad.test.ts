import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceView } from '../../shared/contract/station-api.js';
import { rolloutIpads, startIosFloor, type IosFloor } from '../fixtures/ios-floor.js';
import { EXAMPLE_PROFILES } from '../fixtures/ios-library.js';
import { requireBuild, startStation, stopStation, waitFor, type StationProcess } from './station-process.js';

/**
 * Sixteen emulated iPads (tests/emulators/ios: usbmuxd, lockdown with TLS and pairing, MCInstall,
 * AFC, installation_proxy, mobileactivationd, diagnostics_relay) enroll in parallel through the
 * default school-ipad blueprint on a real headless station with the real iOS driver: erase,
 * activation against the stub, supervision, MDM enrollment, the two baseline profiles silently,
 * three apps from the library, Wi-Fi, rename, verify, label. Half arrive fresh from the box, half
 * set up (their users tap Trust). What the devices hold afterwards is read from the emulator.
 */
const DEVICES = 16;
// Real-device seconds / SPEED: an erase (180 s + the reboot) takes about 2.5 s.
const SPEED = 100;

let floor: IosFloor;
let station: StationProcess | null = null;

beforeAll(async () => {
  requireBuild();
  floor = await startIosFloor({ speed: SPEED, devices: rolloutIpads(DEVICES) });
}, 60_000);
afterAll(async () => {
  if (station) await stopStation(station, 'SIGKILL');
  await floor?.close();
});

async function devices(s: StationProcess): Promise<DeviceView[]> {
  const res = await s.api<DeviceView[]>('GET', '/api/v1/devices');
  expect(res.status).toBe(200);
  return res.body;
}

describe('16 emulated iPads through school-ipad', () => {
  it('every iPad ends erased (if used) once, activated, supervised by the station, enrolled, with its profiles, apps and name', async () => {
    station = await startStation(floor.dataDir, floor.args, 30_000, floor.env);
    const udids = rolloutIpads(DEVICES).map((s) => s.udid);
    const final = await waitFor(
      'all 16 iPads done',
      async () => {
        const list = await devices(station!);
        const failed = list.filter((d) => d.state === 'failed');
        if (failed.length > 0)
          throw new Error(`failed: ${failed.map((d) => `${d.serial} at ${d.step}: ${d.error?.message}`).join('; ')}\n${station!.output().slice(-4000)}`);
        return list.length === DEVICES && list.every((d) => d.state === 'done') ? list : undefined;
      },
      150_000,
      250,
    );
    expect(final.map((d) => d.serial).sort()).toEqual([...udids].sort());

    const names = new Set<string>();
    for (const [i, udid] of udids.entries()) {
      const ipad = floor.state(udid);
      // A used iPad is erased once; one fresh from the box (not activated, nothing configured) holds nothing to erase.
      expect(floor.erasures(udid), `${udid} erased ${i % 2 === 0 ? 'never' : 'once'}`).toBe(i % 2 === 0 ? 0 : 1);
      expect(ipad.activationState).toBe('Activated');
      expect(ipad.setupDone, `${udid} left Setup Assistant`).toBe(true);
      const cloud = ipad.cloudConfiguration as { OrganizationName?: string; IsSupervised?: boolean } | null;
      expect(cloud?.OrganizationName).toBe('Schulträger');
      expect(cloud?.IsSupervised).toBe(true);
      const profiles = [...ipad.profiles.values()];
      expect(
        profiles.every((p) => p.approved && p.silent),
        `${udid}: every profile installed silently`,
      ).toBe(true);
      const identifiers = profiles.map((p) => p.identifier);
      for (const p of Object.values(EXAMPLE_PROFILES)) expect(identifiers).toContain(p.identifier);
      expect(profiles.length, `${udid}: enrollment, two baseline profiles, Wi-Fi`).toBe(4);
      expect([...ipad.apps.keys()].sort()).toEqual(['com.apple.Keynote', 'com.apple.Pages', 'com.apple.schoolwork.ClassKitApp']);
      expect(ipad.deviceName).not.toBe('iPad');
      names.add(ipad.deviceName);
      // Nothing left in the staging folder once the apps are installed.
      expect([...ipad.files.keys()].filter((f) => f.startsWith('PublicStaging/') && f.endsWith('.ipa'))).toEqual([]);
    }
    expect(names.size, 'every iPad has its own name').toBe(DEVICES);
    // One activation per iPad (fresh ones and erased ones): none twice.
    expect(floor.activation.counts.activated).toBe(DEVICES);

    // The shift log: each step done exactly once per run, in one attempt.
    const shifts = await station.api<{ id: string }[]>('GET', '/api/v1/shifts');
    const exported = await station.api<{ steps: { runId: string; step: string; status: string; attempt: number }[] }>(
      'GET',
      `/api/v1/shifts/${shifts.body[0]!.id}/export?format=json`,
    );
    for (const d of final) {
      const done = exported.body.steps.filter((s) => s.runId === d.runId && s.status === 'done').map((s) => s.step);
      expect(new Set(done).size, `run ${d.runId}: no step done twice`).toBe(done.length);
      expect(done.length, `run ${d.runId}: all 16 steps`).toBe(16);
    }
  }, 200_000);
});
