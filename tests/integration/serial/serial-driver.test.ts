import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { blueprintStepSchema, type BlueprintStep } from '../../../shared/blueprint/schema.js';
import type { AttachedDevice, PortNotice, StepContext } from '../../../main/drivers/driver.js';
import { SerialDriver, type SerialIdentifyScript } from '../../../main/drivers/serial/serial-driver.js';
import { SerialLink } from '../../../main/drivers/serial/serial-link.js';
import { DeviceGoneError, StepAbortedError, StepFailedError } from '../../../main/drivers/step-errors.js';
import { openPtys, requireSocat, startEmulator, stopAllEmulators, tempDir, type EmulatedDevice } from './emulated-devices.js';

// The serial driver against emulated devices on real PTYs (socat): no mock between the driver and
// the device; what a step sends and reads goes through the kernel's pseudo-terminals.

const step = (raw: unknown): BlueprintStep => blueprintStepSchema.parse(raw);

const identify = step({
  id: 'identify',
  type: 'identify',
  params: { script: [{ send: 'identify', expect: '^ID serial=(?<serialNumber>\\S+) model=(?<model>\\S+) fw=(?<firmware>\\S+)', timeout: '2s', retries: 1 }] },
});
const identifyScript: SerialIdentifyScript = {
  port: { baudRate: 115200, dataBits: 8, parity: 'none', stopBits: 1, lineEnding: '\r\n' },
  script: identify.type === 'identify' ? (identify.params.script ?? []) : [],
};
const configure = step({
  id: 'configure',
  type: 'serial-script',
  params: {
    port: { baudRate: 115200 },
    script: [
      { send: 'set name {deviceName}', expect: '^OK name=(?<name>\\S+)', timeout: '1s' },
      { send: 'set server https://mdm.example/{serialNumber}', expect: '^OK server=', timeout: '1s' },
      { send: 'save', expect: '^OK saved', timeout: '1s' },
    ],
  },
});
const verify = step({
  id: 'verify',
  type: 'serial-verify',
  params: {
    script: [
      { send: 'get name', expect: '^name=(?<name>\\S*)$', timeout: '1s' },
      { send: 'get server', expect: '^server=(?<server>\\S*)$', timeout: '1s' },
    ],
    expectCaptured: { name: '{deviceName}', server: 'https://mdm.example/{serialNumber}' },
  },
});

function ctx(serial: string, s: BlueprintStep, captured: Record<string, string> = {}, signal = new AbortController().signal): StepContext {
  return {
    runId: 'run-1',
    serial,
    step: s,
    attempt: 1,
    captured,
    deviceName: captured.deviceName ?? null,
    signal,
    waitFor: (_r, _m, until) => until,
    confirmByTechnician: async () => {},
    log: () => {},
  };
}

let dir: string;
let driver: SerialDriver | null = null;
const attached: AttachedDevice[] = [];
const detached: string[] = [];
const notices: PortNotice[] = [];

beforeAll(() => {
  requireSocat();
  dir = tempDir('bl-serial-');
});
afterEach(async () => {
  await driver?.stop();
  driver = null;
  await stopAllEmulators();
  attached.length = 0;
  detached.length = 0;
  notices.length = 0;
});
afterAll(() => {
  expect(SerialLink.openCount()).toBe(0);
});

async function startDriver(ports: string[], opts: { script?: SerialIdentifyScript | null; presenceMs?: number } = {}) {
  // No presence checks unless a test is about them: they would take turns on the port with its steps.
  driver = new SerialDriver({
    staticPorts: ports,
    identifyScript: () => (opts.script === undefined ? identifyScript : opts.script),
    pollMs: 100,
    retryMs: 300,
    presenceMs: opts.presenceMs ?? 0,
  });
  await driver.start({
    attached: (d) => attached.push(d),
    detached: (s) => detached.push(s),
    notice: (n) => notices.push(n),
    noticeCleared: () => {},
  });
  return driver;
}

async function emulator(name: string, serial: string, fault: string[] = []): Promise<EmulatedDevice> {
  return startEmulator({ dir, name, serial, fault });
}

describe('serial driver on real PTYs', () => {
  it('identifies a device by its identify script, configures and verifies it, with captures used by later lines', async () => {
    const dev = await emulator('dev-ok', 'SN-OK-0001');
    const d = await startDriver([dev.link]);
    expect(attached).toEqual([{ serial: 'SN-OK-0001', family: 'serial', platform: 'serial', model: 'BL-SENSOR-2', osVersion: '2.4.1', portPath: dev.link }]);

    const id = await d.executeStep(ctx('SN-OK-0001', identify));
    expect(id.captured).toEqual({ serialNumber: 'SN-OK-0001', model: 'BL-SENSOR-2', firmware: '2.4.1' });
    const captured = { ...id.captured, deviceName: 'GS-Nord-S007' };
    const conf = await d.executeStep(ctx('SN-OK-0001', configure, captured));
    expect(conf.captured).toEqual({ name: 'GS-Nord-S007' });
    const ver = await d.executeStep(ctx('SN-OK-0001', verify, captured));
    expect(ver.captured).toEqual({ name: 'GS-Nord-S007', server: 'https://mdm.example/SN-OK-0001' });
    expect(openPtys([dev])).toEqual([]);
    expect(SerialLink.openCount()).toBe(0);
  });

  it('fails verify when the device reads back something else', async () => {
    const dev = await emulator('dev-verify', 'SN-VER-0001');
    const d = await startDriver([dev.link]);
    const err = await d.executeStep(ctx('SN-VER-0001', verify, { deviceName: 'NEVER-SET', serialNumber: 'SN-VER-0001' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailedError);
    expect(err).toMatchObject({ code: 'serial.verify-mismatch', retryable: true });
    expect((err as Error).message).toContain('name is "", expected "NEVER-SET"');
  });

  it.each([
    ['garble@set', 'serial.garbled', /unreadable characters.*baud rate \(115200/],
    ['stall@set', 'serial.no-answer', /No answer from the device to "set name GS-1" within 1 s/],
    ['partial@set', 'serial.partial', /stopped in the middle of its answer .*"OK na/],
  ])('turns %s into a clear step error (%s) and closes the port', async (fault, code, message) => {
    const dev = await emulator(`dev-${fault.replace('@', '-')}`, `SN-${fault.slice(0, 4).toUpperCase()}`, [fault]);
    const d = await startDriver([dev.link]);
    const err = await d.executeStep(ctx(dev.serial, configure, { deviceName: 'GS-1', serialNumber: dev.serial })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailedError);
    expect(err).toMatchObject({ code, retryable: true });
    expect((err as Error).message).toMatch(message);
    expect(openPtys([dev])).toEqual([]);
    expect(SerialLink.openCount()).toBe(0);
  });

  it('stops a stalled script when the step is aborted (timeout, cancel) and closes the port', async () => {
    const dev = await emulator('dev-abort', 'SN-ABORT', ['stall@save']);
    const d = await startDriver([dev.link]);
    const long = step({ id: 'save', type: 'serial-script', params: { script: [{ send: 'save', expect: '^OK saved', timeout: '1m' }] } });
    const abort = new AbortController();
    const running = d.executeStep(ctx(dev.serial, long, {}, abort.signal));
    await vi.waitFor(() => expect(openPtys([dev])).toHaveLength(1));
    abort.abort();
    await expect(running).rejects.toBeInstanceOf(StepAbortedError);
    // The port's close finishes a moment after the abort settles (the OS releases the PTY asynchronously); on a loaded machine that moment was too short.
    await vi.waitFor(() => expect(openPtys([dev])).toEqual([]), { timeout: 2_000 });
  });

  it('reports a port that vanishes mid-script as the device gone, and the device again when it returns', async () => {
    const dev = await emulator('dev-vanish', 'SN-VANISH', ['vanish@save']);
    const d = await startDriver([dev.link]);
    expect(attached.map((a) => a.serial)).toEqual(['SN-VANISH']);
    const err = await d.executeStep(ctx(dev.serial, configure, { deviceName: 'GS-2', serialNumber: dev.serial })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceGoneError);
    await vi.waitFor(() => expect(detached).toEqual(['SN-VANISH']));
    expect(SerialLink.openCount()).toBe(0);
    await expect(d.executeStep(ctx(dev.serial, configure, { deviceName: 'GS-2', serialNumber: dev.serial }))).rejects.toBeInstanceOf(DeviceGoneError);

    // The same device comes back on the same port: it is identified again, and steps work.
    await emulator('dev-vanish', 'SN-VANISH');
    await vi.waitFor(() => expect(attached.map((a) => a.serial)).toEqual(['SN-VANISH', 'SN-VANISH']), { timeout: 10_000 });
    const again = await d.executeStep(ctx('SN-VANISH', configure, { deviceName: 'GS-2', serialNumber: 'SN-VANISH' }));
    expect(again.captured).toEqual({ name: 'GS-2' });
  });

  it('shows a notice, not a device, for a port whose device does not answer its identify script, and retries', async () => {
    const dev = await emulator('dev-mute', 'SN-MUTE', ['stall@identify']);
    await startDriver([dev.link]);
    expect(attached).toEqual([]);
    expect(notices.at(-1)).toMatchObject({ portPath: dev.link, kind: 'no-answer' });
    expect(notices.at(-1)?.message).toMatch(/Cannot identify the device: No answer from the device to "identify"/);
    await dev.fault('none');
    await vi.waitFor(() => expect(attached.map((a) => a.serial)).toEqual(['SN-MUTE']), { timeout: 10_000 });
  });

  it('refuses a send line that uses a capture no step made, as a blueprint error that a retry cannot fix', async () => {
    const dev = await emulator('dev-tpl', 'SN-TPL');
    const d = await startDriver([dev.link]);
    const bad = step({ id: 'bad', type: 'serial-script', params: { script: [{ send: 'set name {assetTag}', expect: '^OK' }] } });
    await expect(d.executeStep(ctx(dev.serial, bad))).rejects.toMatchObject({ code: 'serial.template', retryable: false });
  });

  it('names the emulated port path when the device has no identify script and no USB serial number', async () => {
    const dev = await emulator('dev-noid', 'SN-NOID');
    await startDriver([dev.link], { script: null });
    expect(attached).toEqual([]);
    expect(notices.at(-1)).toMatchObject({ portPath: dev.link, kind: 'no-serial-number' });
    expect(path.isAbsolute(dev.link)).toBe(true);
  });
});

describe('serial scripts read only the answer to their own command', () => {
  it('fails a step whose device answers ERROR, though an extra OK from the previous command is still waiting', async () => {
    // "set" answers "OK name=…" and then a second "OK"; "save" answers "ERROR". Before each send
    // the buffer is cleaned, so the stale "OK" cannot satisfy "^OK$", and ERROR fails the line at once.
    const dev = await emulator('dev-stale', 'SN-STALE', ['extra-ok@set', 'error@save']);
    const d = await startDriver([dev.link]);
    const logged: string[] = [];
    const saveAfterSet = step({
      id: 'configure',
      type: 'serial-script',
      params: {
        script: [
          { send: 'set name {deviceName}', expect: '^OK name=', timeout: '1s' },
          { send: 'save', expect: '^OK$', timeout: '5s' },
        ],
      },
    });
    const err = await d.executeStep({ ...ctx(dev.serial, saveAfterSet, { deviceName: 'GS-9' }), log: (m) => logged.push(m) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailedError);
    expect(err).toMatchObject({ code: 'serial.device-error', retryable: true });
    expect((err as Error).message).toMatch(/reported an error to "save": "ERROR"/);
    expect(logged).toContain('serial: before line 2, ignored "OK"');
    expect(SerialLink.openCount()).toBe(0);
  });

  it("uses the step's own error pattern instead of ^ERROR", async () => {
    const dev = await emulator('dev-errpat', 'SN-ERRPAT');
    const d = await startDriver([dev.link]);
    const strict = step({
      id: 'set',
      type: 'serial-script',
      params: { errorPattern: '^ERR ', script: [{ send: 'set colour red', expect: '^OK', timeout: '5s' }] },
    });
    await expect(d.executeStep(ctx(dev.serial, strict))).rejects.toMatchObject({
      code: 'serial.device-error',
      message: expect.stringContaining('ERR unknown setting colour'),
    });
  });
});

describe('a fixed port identifies each device put on it', () => {
  it('identifies the next device when another answers on the same port (the tty stays)', async () => {
    const dev = await emulator('dev-bench', 'SN-FIRST');
    const d = await startDriver([dev.link], { presenceMs: 200 });
    expect(attached.map((a) => a.serial)).toEqual(['SN-FIRST']);
    await dev.swap('SN-SECOND');
    await vi.waitFor(() => expect(attached.map((a) => a.serial)).toEqual(['SN-FIRST', 'SN-SECOND']), { timeout: 10_000 });
    expect(detached).toEqual(['SN-FIRST']);
    expect(d.list()).toEqual([{ serial: 'SN-SECOND', portPath: dev.link, tty: dev.link }]);
    const done = await d.executeStep(ctx('SN-SECOND', configure, { deviceName: 'GS-2', serialNumber: 'SN-SECOND' }));
    expect(done.captured).toEqual({ name: 'GS-2' });
    await expect(d.executeStep(ctx('SN-FIRST', configure, { deviceName: 'GS-1' }))).rejects.toBeInstanceOf(DeviceGoneError);
  });

  it('removes a device that stops answering and identifies the one that answers next', async () => {
    const dev = await emulator('dev-silent', 'SN-LEAVES');
    await startDriver([dev.link], { presenceMs: 200 });
    await dev.fault('stall');
    await vi.waitFor(() => expect(detached).toEqual(['SN-LEAVES']), { timeout: 15_000 });
    expect(notices.at(-1)).toMatchObject({ portPath: dev.link, kind: 'no-answer' });
    await dev.swap('SN-ARRIVES');
    await dev.fault('none');
    await vi.waitFor(() => expect(attached.map((a) => a.serial)).toEqual(['SN-LEAVES', 'SN-ARRIVES']), { timeout: 15_000 });
  });

  it('identifies the device behind a port that closed and opened again', async () => {
    const first = await emulator('dev-reopen', 'SN-BEFORE');
    await startDriver([first.link]);
    await first.vanish();
    // The poll must see the port gone before a new PTY may take the same node number; a port that
    // closes and reopens faster than one poll with the very same node is the presence check's job.
    await vi.waitFor(() => expect(detached).toEqual(['SN-BEFORE']), { timeout: 10_000 });
    await emulator('dev-reopen', 'SN-AFTER');
    await vi.waitFor(() => expect(attached.map((a) => a.serial)).toEqual(['SN-BEFORE', 'SN-AFTER']), { timeout: 10_000 });
    expect(detached).toEqual(['SN-BEFORE']);
  });

  it('asks the port again when the technician says a new device is on it, and keeps a device that is still the same', async () => {
    const dev = await emulator('dev-scan', 'SN-OLD');
    const d = await startDriver([dev.link]);
    expect(d.reidentify(dev.link)).toBe(true);
    await vi.waitFor(() => expect(openPtys([dev])).toEqual([]));
    await new Promise((r) => setTimeout(r, 300));
    expect(detached).toEqual([]);
    await dev.swap('SN-NEW');
    expect(d.reidentify(dev.link)).toBe(true);
    await vi.waitFor(() => expect(attached.map((a) => a.serial)).toEqual(['SN-OLD', 'SN-NEW']), { timeout: 10_000 });
    expect(detached).toEqual(['SN-OLD']);
    expect(d.reidentify(path.join(dir, 'no-such-port'))).toBe(false);
  });
});
