import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { laneKeys } from '../../main/pipeline/lanes.js';
import { decodeLocationId, portPathOfAddress, portPathOfPorts, portPathOfUnknown } from '../../main/drivers/ios/usbmux/location-id.js';
import { UsbAddressPorts, sysfsPortPath } from '../../main/drivers/ios/usbmux/usb-address-ports.js';
import { UsbPortFeed } from '../../main/drivers/usb/usb-port-feed.js';
import { usbIpad } from '../fixtures/ios-usb.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bl-ios-sysfs-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function sysfsDevice(name: string, bus: number, address: number): void {
  fs.mkdirSync(path.join(root, name), { recursive: true });
  fs.writeFileSync(path.join(root, name, 'busnum'), `${bus}\n`);
  fs.writeFileSync(path.join(root, name, 'devnum'), `${address}\n`);
}

describe('LocationID', () => {
  it('reads the macOS form: bus in the top byte, a nibble per hub port until a 0', () => {
    expect(decodeLocationId(0x01120000)).toEqual({ form: 'ports', bus: 1, ports: [1, 2] });
    expect(decodeLocationId(0x14100000)).toEqual({ form: 'ports', bus: 0x14, ports: [1] });
    expect(decodeLocationId(0x02341500)).toEqual({ form: 'ports', bus: 2, ports: [3, 4, 1, 5] });
    // A 0 ends the chain: nibbles after it are not ports.
    expect(decodeLocationId(0x01203000)).toEqual({ form: 'ports', bus: 1, ports: [2] });
  });

  it("reads Linux usbmuxd 1.1.1's (bus << 16) | address", () => {
    expect(decodeLocationId((3 << 16) | 17)).toEqual({ form: 'address', bus: 3, address: 17 });
    expect(decodeLocationId((1 << 16) | 2)).toEqual({ form: 'address', bus: 1, address: 2 });
  });

  it('reads nothing from what neither form can be', () => {
    expect(decodeLocationId(null)).toBeNull();
    expect(decodeLocationId(0)).toBeNull();
    expect(decodeLocationId(0x01000000)).toBeNull(); // a bus and no port
    expect(decodeLocationId(0x00030100)).toBeNull(); // the middle byte is never set in the Linux form
    expect(decodeLocationId(0x00030000)).toBeNull(); // address 0 does not exist
    expect(decodeLocationId(2 ** 33)).toBeNull();
  });

  it('names ports the way the USB watcher does, so slots and lanes agree', () => {
    expect(portPathOfPorts(1, [1, 2])).toBe('1-1.2');
    expect(portPathOfAddress(3, 17)).toBe('3-addr17');
    expect(portPathOfUnknown(0xdeadbeef, 'U1')).toBe('usbmux-locdeadbeef');
    expect(portPathOfUnknown(null, 'U1')).toBe('usbmux-U1');
    // Heavy steps share a lane per USB bus, read from the front of the path.
    expect(laneKeys('ios', portPathOfPorts(2, [1, 3]))).toEqual(['driver:ios', 'bus:2']);
    expect(laneKeys('ios', portPathOfAddress(3, 17))).toEqual(['driver:ios', 'bus:3']);
    expect(laneKeys('ios', portPathOfUnknown(null, 'U1'))).toEqual(['driver:ios']);
  });
});

describe("Linux usbmuxd's bus/address to the port path", () => {
  sysfsDevice('1-4.2', 1, 9);
  sysfsDevice('1-4.3', 1, 10);
  sysfsDevice('2-1', 2, 9);
  fs.mkdirSync(path.join(root, '1-4.2:1.0'), { recursive: true });
  fs.mkdirSync(path.join(root, 'usb1'), { recursive: true });
  fs.writeFileSync(path.join(root, 'usb1', 'busnum'), '1\n');
  fs.writeFileSync(path.join(root, 'usb1', 'devnum'), '1\n');

  it("finds the sysfs directory with the device's busnum and devnum", () => {
    expect(sysfsPortPath(root, 1, 10)).toBe('1-4.3');
    expect(sysfsPortPath(root, 2, 9)).toBe('2-1');
    expect(sysfsPortPath(root, 1, 1)).toBeNull(); // the root hub is no port
    expect(sysfsPortPath(root, 4, 4)).toBeNull();
    expect(sysfsPortPath(path.join(root, 'missing'), 1, 9)).toBeNull();
  });

  it('asks the USB watcher first, waiting for it when usbmuxd was quicker', async () => {
    const feed = new UsbPortFeed();
    const ports = new UsbAddressPorts({ feed, sysfsRoot: root, waitMs: 5000 });
    ports.start();
    // Known to the watcher already.
    feed.attached('ios', usbIpad('3-1.1', 3, 5));
    expect(await ports.portPathFor(3, 5, new AbortController().signal)).toBe('3-1.1');
    // Not yet: the answer comes when the watcher reports the device (the sysfs tree says otherwise, and is not asked).
    const waiting = ports.portPathFor(1, 9, new AbortController().signal);
    feed.attached('ios', usbIpad('1-7', 1, 9));
    expect(await waiting).toBe('1-7');
    ports.stop();
  });

  it('falls back to sysfs, then to the address, when the watcher does not report the device in time', async () => {
    const feed = new UsbPortFeed();
    const ports = new UsbAddressPorts({ feed, sysfsRoot: root, waitMs: 20 });
    ports.start();
    expect(await ports.portPathFor(1, 10, new AbortController().signal)).toBe('1-4.3');
    expect(await ports.portPathFor(5, 3, new AbortController().signal)).toBe('5-addr3');
    ports.stop();
    const alone = new UsbAddressPorts({ feed: null, sysfsRoot: null, waitMs: 5000 });
    alone.start();
    expect(await alone.portPathFor(1, 10, new AbortController().signal)).toBe('1-addr10');
  });

  it('tells the driver when the watcher sees an iPad arrive and leave', () => {
    const feed = new UsbPortFeed();
    const seen: string[] = [];
    const ports = new UsbAddressPorts({ feed, sysfsRoot: null, waitMs: 10, onUsbDevice: (d, present) => seen.push(`${present ? '+' : '-'}${d.portPath}`) });
    ports.start();
    expect(feed.attached('ios', usbIpad('1-2', 1, 4))).toBe(true);
    feed.detached('ios', usbIpad('1-2', 1, 4));
    ports.stop();
    expect(feed.attached('ios', usbIpad('1-2', 1, 4))).toBe(false);
    expect(seen).toEqual(['+1-2', '-1-2']);
  });
});
