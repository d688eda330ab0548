import { duplexPair, type Duplex } from 'node:stream';
import { parse } from 'plist';
import { afterEach, describe, expect, it } from 'vitest';
import { IosLinkError } from '../../main/drivers/ios/ios-link.js';
import { UsbmuxClient, type UsbmuxDevice } from '../../main/drivers/ios/usbmux/usbmux-client.js';
import { UsbmuxWatch } from '../../main/drivers/ios/usbmux/usbmux-watch.js';
import { usbmuxPacket } from '../fixtures/ios-usb.js';
import { until } from '../fixtures/until.js';

// The watch's reconnect logic against a usbmuxd stand-in at the socket boundary: the client dials
// through an in-memory pipe whose far end speaks usbmuxd's packets (parsed here by hand, so the
// client's own framing is not what checks it).

interface FakeDevice {
  deviceId: number;
  udid: string;
  locationId: number;
  connectionType?: string;
}

class FakeUsbmuxd {
  up = true;
  dials = 0;
  readonly dialTimes: number[] = [];
  devices: FakeDevice[] = [];
  private readonly listeners = new Set<Duplex>();
  private readonly sockets = new Set<Duplex>();

  dial = (signal: AbortSignal): Promise<Duplex> => {
    this.dials++;
    this.dialTimes.push(Date.now());
    if (signal.aborted) return Promise.reject(new Error('aborted'));
    if (!this.up) return Promise.reject(new IosLinkError('usbmuxd-unreachable', 'usbmuxd does not answer', 'ECONNREFUSED'));
    const [client, daemon] = duplexPair();
    this.sockets.add(daemon);
    let buffer = Buffer.alloc(0);
    daemon.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 16 && buffer.length >= buffer.readUInt32LE(0)) {
        const length = buffer.readUInt32LE(0);
        const tag = buffer.readUInt32LE(12);
        const request = parse(buffer.subarray(16, length).toString('utf8')) as Record<string, unknown>;
        buffer = buffer.subarray(length);
        this.answer(daemon, tag, request);
      }
    });
    return Promise.resolve(client);
  };

  /** usbmuxd dies: every client sees its connection end. */
  stop(): void {
    this.up = false;
    for (const socket of this.sockets) socket.end();
    this.sockets.clear();
    this.listeners.clear();
  }

  start(devices: FakeDevice[]): void {
    this.devices = devices;
    this.up = true;
  }

  attach(device: FakeDevice): void {
    this.devices.push(device);
    for (const l of this.listeners) l.write(usbmuxPacket(0, { MessageType: 'Attached', DeviceID: device.deviceId, Properties: properties(device) }));
  }

  detach(deviceId: number): void {
    this.devices = this.devices.filter((d) => d.deviceId !== deviceId);
    for (const l of this.listeners) l.write(usbmuxPacket(0, { MessageType: 'Detached', DeviceID: deviceId }));
  }

  private answer(socket: Duplex, tag: number, request: Record<string, unknown>): void {
    if (request.MessageType === 'ListDevices') {
      socket.write(usbmuxPacket(tag, { DeviceList: this.devices.map((d) => ({ DeviceID: d.deviceId, MessageType: 'Attached', Properties: properties(d) })) }));
    } else if (request.MessageType === 'Listen') {
      socket.write(usbmuxPacket(tag, { MessageType: 'Result', Number: 0 }));
      this.listeners.add(socket);
      // Like usbmuxd: the devices present are announced right after Listen.
      for (const d of this.devices) socket.write(usbmuxPacket(0, { MessageType: 'Attached', DeviceID: d.deviceId, Properties: properties(d) }));
    } else {
      socket.write(usbmuxPacket(tag, { MessageType: 'Result', Number: 1 }));
    }
  }
}

function properties(d: FakeDevice) {
  return { ConnectionType: d.connectionType ?? 'USB', DeviceID: d.deviceId, LocationID: d.locationId, ProductID: 0x12ab, SerialNumber: d.udid };
}

const A: FakeDevice = { deviceId: 1, udid: 'UDID-A', locationId: 0x01110000 };
const B: FakeDevice = { deviceId: 2, udid: 'UDID-B', locationId: 0x01120000 };
const C: FakeDevice = { deviceId: 3, udid: 'UDID-C', locationId: 0x01130000 };

const watches: UsbmuxWatch[] = [];
afterEach(() => watches.splice(0).forEach((w) => w.stop()));

async function watching(daemon: FakeUsbmuxd, options: { reconnectBaseMs?: number; reconnectMaxMs?: number } = {}) {
  const events: string[] = [];
  const watch = new UsbmuxWatch({
    client: new UsbmuxClient(daemon.dial, { progName: 't', clientVersionString: 't' }, '/fake/usbmuxd'),
    reconnectBaseMs: options.reconnectBaseMs ?? 5,
    reconnectMaxMs: options.reconnectMaxMs ?? 20,
    random: () => 1,
  });
  watches.push(watch);
  await watch.start({
    attached: (d: UsbmuxDevice) => events.push(`+${d.udid}#${d.deviceId}`),
    detached: (d: UsbmuxDevice) => events.push(`-${d.udid}`),
  });
  return { watch, events };
}

describe('usbmuxd Listen, kept up', () => {
  it("reports the USB devices present, then arrivals and departures as usbmuxd announces them; Wi-Fi devices are not the bench's", async () => {
    const daemon = new FakeUsbmuxd();
    daemon.devices = [A, { deviceId: 9, udid: 'UDID-A', locationId: 0, connectionType: 'Network' }, B];
    const { watch, events } = await watching(daemon);
    expect(events).toEqual(['+UDID-A#1', '+UDID-B#2']);
    expect(watch.connected).toBe(true);
    daemon.attach(C);
    daemon.detach(1);
    await until(() => events.length === 4, 'attach and detach', 2000, 5);
    expect(events.slice(2)).toEqual(['+UDID-C#3', '-UDID-A']);
  });

  it('carries the devices through a usbmuxd restart: the same device under a new DeviceID is no detach and no attach', async () => {
    const daemon = new FakeUsbmuxd();
    daemon.devices = [A, B];
    const { watch, events } = await watching(daemon);
    daemon.stop();
    await until(() => !watch.connected, 'the watch notices usbmuxd went away', 2000, 5);
    expect(watch.outages).toBe(1);
    expect(watch.problem?.kind).toBe('usbmuxd-unreachable');
    // The restarted daemon numbers the devices anew.
    daemon.start([
      { ...B, deviceId: 1 },
      { ...A, deviceId: 2 },
    ]);
    expect(await watch.whenConnected(AbortSignal.timeout(2000))).toBe(true);
    expect(events).toEqual(['+UDID-A#1', '+UDID-B#2']);
    expect([watch.device('UDID-A')?.deviceId, watch.device('UDID-B')?.deviceId]).toEqual([2, 1]);
  });

  it('after a restart, reports what changed while usbmuxd was away: gone, new, and moved to another port', async () => {
    const daemon = new FakeUsbmuxd();
    daemon.devices = [A, B];
    const { watch, events } = await watching(daemon);
    daemon.stop();
    await until(() => !watch.connected, 'the outage', 2000, 5);
    daemon.start([
      { ...B, deviceId: 1, locationId: 0x01140000 },
      { ...C, deviceId: 2 },
    ]);
    await watch.whenConnected(AbortSignal.timeout(2000));
    expect(events.slice(2)).toEqual(['-UDID-A', '-UDID-B', '+UDID-B#1', '+UDID-C#2']);
  });

  it('keeps trying with growing delays while usbmuxd is not there, from the start on', async () => {
    const daemon = new FakeUsbmuxd();
    daemon.up = false;
    const { watch, events } = await watching(daemon, { reconnectBaseMs: 10, reconnectMaxMs: 40 });
    expect(watch.connected).toBe(false);
    expect(watch.problem?.deviceReason).toBe('ECONNREFUSED');
    await until(() => daemon.dials >= 5, 'five tries', 5000, 5);
    const gaps = daemon.dialTimes.slice(1, 5).map((t, i) => t - daemon.dialTimes[i]!);
    // 10, 20, 40, 40 ms (doubling, capped; timers never fire early by more than a millisecond).
    expect(gaps.map((g, i) => g >= [10, 20, 40, 40][i]! - 1)).toEqual([true, true, true, true]);
    daemon.start([A]);
    await watch.whenConnected(AbortSignal.timeout(2000));
    expect(events).toEqual(['+UDID-A#1']);
  });

  it('stops trying when stopped', async () => {
    const daemon = new FakeUsbmuxd();
    daemon.up = false;
    const { watch } = await watching(daemon, { reconnectBaseMs: 10, reconnectMaxMs: 10 });
    watch.stop();
    const dials = daemon.dials;
    await new Promise((r) => setTimeout(r, 50));
    expect(daemon.dials).toBe(dials);
    expect(await watch.whenConnected(new AbortController().signal)).toBe(false);
  });
});
