import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DeviceView, RunDetail } from '../../../shared/contract/station-api.js';
import { callStationMethod } from '../../../main/api/station-methods.js';
import { startStation, type RunningStation } from '../../../main/station/start-station.js';
import { SerialLink } from '../../../main/drivers/serial/serial-link.js';
import { openPtys, requireSocat, startEmulator, stopAllEmulators, tempDir, type EmulatedDevice } from './emulated-devices.js';

// Whole stations (store, pipeline, serial driver, automation API) configuring emulated devices on
// real PTYs: the path a USB-serial device takes on a bench, minus the USB cable.

const FAST = path.resolve(import.meta.dirname, 'serial-fast.yaml');
let station: RunningStation | null = null;

beforeAll(() => requireSocat());
afterEach(async () => {
  await station?.close();
  station = null;
  await stopAllEmulators();
});
afterAll(() => expect(SerialLink.openCount()).toBe(0));

async function start(dir: string, ports: string[], blueprintFiles: string[] = []): Promise<RunningStation> {
  station = await startStation({
    dataDir: path.join(dir, 'station'),
    host: '127.0.0.1',
    port: 0,
    drivers: ['serial'],
    simulate: 0,
    simSpeed: 1,
    simFailRate: 0,
    simSeed: 1,
    blueprintFiles,
    serialPorts: ports,
    rendererDir: null,
    resourcesDir: path.resolve(import.meta.dirname, '../../../resources'),
    version: 'test',
    // Runs start unattended here: the serial driver, not the sign-in, is under test.
    signInPolicy: 'run',
  });
  return station;
}

async function api<T>(s: RunningStation, route: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(new URL(`api/v1/${route}`, s.url), { ...init, headers: { authorization: `Bearer ${s.token}`, ...init.headers } });
  const text = await res.text();
  if (!res.ok) throw new Error(`${route}: ${res.status} ${text}`);
  return (route.includes('format=csv') ? text : JSON.parse(text)) as T;
}

const devices = (s: RunningStation) => api<DeviceView[]>(s, 'devices');
const bySerial = async (s: RunningStation) => new Map((await devices(s)).map((d) => [d.serial, d]));

describe('serial devices through a whole station', () => {
  it('configures 8 emulated devices in parallel to done, with the captured serial number in the export and on the label', async () => {
    const dir = tempDir('bl-serial8-');
    const emus: EmulatedDevice[] = await Promise.all(
      Array.from({ length: 8 }, (_, i) => startEmulator({ dir, name: `dev${i + 1}`, serial: `SN-PAR-${String(i + 1).padStart(3, '0')}` })),
    );
    const s = await start(
      dir,
      emus.map((e) => e.link),
    );

    await vi.waitFor(
      async () => {
        const list = await devices(s);
        expect(list.map((d) => `${d.serial}:${d.state}`).sort()).toEqual(emus.map((e) => `${e.serial}:done`).sort());
      },
      { timeout: 120_000, interval: 250 },
    );

    const list = await devices(s);
    const seconds = list.map((d) => (Date.parse(d.finishedAt ?? '') - Date.parse(d.startedAt ?? '')) / 1000).sort((a, b) => a - b);
    const details = await Promise.all(list.map((d) => api<RunDetail>(s, `runs/${d.runId}`)));
    const scriptMs = details.map((d) => d.steps.find((st) => st.id === 'configure')?.durationMs ?? NaN).sort((a, b) => a - b);
    // For the record (no speed assertion): how long the device scripts took with 8 running at once.
    console.log(
      `8 emulated serial devices in parallel: whole run (identify..label, incl. a 150 ms emulated reboot) ${seconds[0]}–${seconds.at(-1)} s per device (median ${seconds[4]} s); configure script (4 send/expect lines) ${scriptMs[0]}–${scriptMs.at(-1)} ms (median ${scriptMs[4]} ms)`,
    );

    for (const d of list) {
      // Fixed ports are not in the layout: the tile says so instead of hiding the device.
      expect(d).toMatchObject({ family: 'serial', platform: 'serial', model: 'BL-SENSOR-2', osVersion: '2.4.1', slot: null });
      expect(emus.map((e) => e.link)).toContain(d.portPath);
      expect(d.name).toMatch(/^Schule-S\d{3}$/);
      // What the device saved is what the blueprint wrote, including the captured serial.
      const emu = emus.find((e) => e.link === d.portPath);
      const saved = JSON.parse(fs.readFileSync(path.join(dir, `${path.basename(emu?.link ?? '')}.state.json`), 'utf8')) as Record<string, string>;
      expect(saved).toMatchObject({ name: d.name, interval: '300', server: `https://mdm.schule.example/devices/${d.serial}` });
    }
    expect(new Set(list.map((d) => d.name)).size).toBe(8);

    const detail = await api<RunDetail>(s, `runs/${list[0]?.runId}`);
    expect(detail.captured).toMatchObject({ serialNumber: list[0]?.serial, firmware: '2.4.1', model: 'BL-SENSOR-2', interval: '300' });
    expect(detail.steps.map((st) => `${st.id}:${st.status}`)).toEqual([
      'identify:done',
      'rename:done',
      'configure:done',
      'reboot:done',
      'verify:done',
      'label:done',
    ]);

    // The shift log names every device by the serial number its identify script read.
    const shift = s.core.currentShift();
    const csv = await api<string>(s, `shifts/${shift?.id}/export?format=csv`);
    for (const e of emus) expect(csv).toMatch(new RegExp(`,${e.serial},serial,BL-SENSOR-2,2\\.4\\.1,.*,done,`));

    // And the asset label carries it (its text and barcodes), with the name the device was given.
    const label = (await callStationMethod(s.core, 'labelPreview', { template: 'device-asset', runId: list[0]?.runId })) as { zpl: string; svg: string };
    expect(label.zpl).toContain(`S/N ${list[0]?.serial}`);
    expect(label.zpl).toContain(list[0]?.name ?? '(no name)');

    expect(openPtys(emus)).toEqual([]);
    expect(SerialLink.openCount()).toBe(0);
  });

  it('ends garbled, stalled and partial answers as failed steps with clear errors, and a vanished device as interrupted until it returns', async () => {
    const dir = tempDir('bl-serialfail-');
    const [garbled, stalled, partial, vanishing] = await Promise.all([
      startEmulator({ dir, name: 'garbled', serial: 'SN-GARBLED', fault: ['garble@set'] }),
      startEmulator({ dir, name: 'stalled', serial: 'SN-STALLED', fault: ['stall@set'] }),
      startEmulator({ dir, name: 'partial', serial: 'SN-PARTIAL', fault: ['partial@set'] }),
      startEmulator({ dir, name: 'vanishing', serial: 'SN-VANISH', fault: ['vanish@save'] }),
    ]);
    const emus = [garbled, stalled, partial, vanishing] as EmulatedDevice[];
    const s = await start(
      dir,
      emus.map((e) => e.link),
      [FAST],
    );

    await vi.waitFor(
      async () => {
        const m = await bySerial(s);
        expect([m.get('SN-GARBLED')?.state, m.get('SN-STALLED')?.state, m.get('SN-PARTIAL')?.state, m.get('SN-VANISH')?.state]).toEqual([
          'failed',
          'failed',
          'failed',
          'interrupted',
        ]);
      },
      { timeout: 60_000, interval: 250 },
    );
    const m = await bySerial(s);
    expect(m.get('SN-GARBLED')).toMatchObject({ step: 'configure', error: { code: 'serial.garbled' } });
    expect(m.get('SN-GARBLED')?.error?.message).toMatch(/unreadable characters .* check the baud rate/);
    expect(m.get('SN-STALLED')).toMatchObject({ step: 'configure', error: { code: 'serial.no-answer' } });
    expect(m.get('SN-STALLED')?.error?.message).toMatch(/^No answer from the device to "set name Schule-S\d{3}" within 1 s/);
    expect(m.get('SN-PARTIAL')).toMatchObject({ step: 'configure', error: { code: 'serial.partial' } });
    expect(m.get('SN-VANISH')).toMatchObject({ step: 'configure', present: false, error: null });
    expect(openPtys([garbled, stalled, partial] as EmulatedDevice[])).toEqual([]);
    expect(SerialLink.openCount()).toBe(0);

    // The vanished device is plugged back in: its run resumes at the step it left, and finishes.
    await startEmulator({ dir, name: 'vanishing', serial: 'SN-VANISH' });
    await vi.waitFor(async () => expect((await bySerial(s)).get('SN-VANISH')?.state).toBe('done'), { timeout: 30_000, interval: 250 });
    const vanishRun = await api<RunDetail>(s, `runs/${(await bySerial(s)).get('SN-VANISH')?.runId}`);
    const kinds = vanishRun.events.filter((e) => e.step === 'configure').map((e) => e.kind);
    expect(kinds).toEqual(['start', 'interrupted', 'resumed', 'start', 'done']);
    expect(vanishRun.steps.find((st) => st.id === 'identify')?.attempts).toBe(1);
    // It came back without what it had not saved; the resumed step wrote it again.
    expect(vanishRun.captured).toMatchObject({ name: vanishRun.captured.deviceName, server: 'https://mdm.example/SN-VANISH' });

    // The stalled device recovers; the technician's Retry finishes it.
    await stalled?.fault('none');
    await api(s, `runs/${m.get('SN-STALLED')?.runId}/retry`, { method: 'POST' });
    await vi.waitFor(async () => expect((await bySerial(s)).get('SN-STALLED')?.state).toBe('done'), { timeout: 30_000, interval: 250 });
  });

  it('configures the next device put on the same fixed port after the technician scans "new device"', async () => {
    const dir = tempDir('bl-serial-swap-');
    const dev = await startEmulator({ dir, name: 'bench-port', serial: 'SN-SWAP-001' });
    const s = await start(dir, [dev.link]);
    await vi.waitFor(async () => expect((await bySerial(s)).get('SN-SWAP-001')?.state).toBe('done'), { timeout: 60_000, interval: 250 });

    // The technician takes the first device off the cable and connects the next one: the port stays.
    await dev.swap('SN-SWAP-002');
    await callStationMethod(s.core, 'reidentifyPort', { portPath: dev.link });
    await vi.waitFor(async () => expect((await bySerial(s)).get('SN-SWAP-002')?.state).toBe('done'), { timeout: 60_000, interval: 250 });
    const tiles = await bySerial(s);
    expect(tiles.get('SN-SWAP-002')).toMatchObject({ portPath: dev.link, present: true });
    expect(tiles.get('SN-SWAP-001')?.present ?? false).toBe(false);
    await expect(Promise.resolve().then(() => callStationMethod(s.core, 'reidentifyPort', { portPath: path.join(dir, 'not-a-port') }))).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});
