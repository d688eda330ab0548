import { describe, expect, it } from 'vitest';
import { formatUsbId, routeUsbDevice, type UsbIds } from '../../../main/drivers/usb/usb-ids.js';

const dev = (vendorId: number, productId: number, more: Partial<UsbIds> = {}): UsbIds => ({ vendorId, productId, deviceClass: 0, interfaces: [], ...more });
const familyOf = (ids: UsbIds) => {
  const r = routeUsbDevice(ids);
  return r.kind === 'driver' ? r.family : r.kind;
};

describe('USB routing table', () => {
  it('routes Apple iPhones and iPads (0x05ac, 0x12xx) to ios, in normal, recovery and DFU mode', () => {
    expect(familyOf(dev(0x05ac, 0x12ab))).toBe('ios'); // iPad
    expect(familyOf(dev(0x05ac, 0x12a8))).toBe('ios'); // iPhone
    expect(familyOf(dev(0x05ac, 0x1281))).toBe('ios'); // recovery mode
    expect(familyOf(dev(0x05ac, 0x1227))).toBe('ios'); // DFU
  });

  it('shows other Apple hardware (a keyboard) as unsupported rather than trying lockdown on it', () => {
    const r = routeUsbDevice(dev(0x05ac, 0x024f));
    expect(r.kind).toBe('unsupported');
    expect(r.why).toContain('05ac:024f');
  });

  it('routes the common Android vendors to android', () => {
    for (const vid of [0x18d1, 0x04e8, 0x22b8, 0x2717, 0x17ef, 0x12d1, 0x0b05]) expect(familyOf(dev(vid, 0x4ee7)), vid.toString(16)).toBe('android');
  });

  it('routes a device with an ADB interface to android whoever made it, before its CDC-ACM modem interface', () => {
    const ids = dev(0x1234, 0x0001, {
      interfaces: [
        { class: 0x02, subclass: 0x02, protocol: 0x01 },
        { class: 0xff, subclass: 0x42, protocol: 0x01 },
      ],
    });
    expect(familyOf(ids)).toBe('android');
    // A Samsung phone exposes a CDC-ACM modem: still android, not serial.
    expect(familyOf(dev(0x04e8, 0x6860, { interfaces: [{ class: 0x02, subclass: 0x02, protocol: 0x01 }] }))).toBe('android');
  });

  it('routes the usual USB-serial bridges to serial: FTDI, CP210x, CH340, PL2303', () => {
    expect(familyOf(dev(0x0403, 0x6001))).toBe('serial');
    expect(familyOf(dev(0x0403, 0x6015))).toBe('serial');
    expect(familyOf(dev(0x10c4, 0xea60))).toBe('serial');
    expect(familyOf(dev(0x1a86, 0x7523))).toBe('serial');
    expect(familyOf(dev(0x067b, 0x2303))).toBe('serial');
  });

  it('does not take every product of a bridge vendor for a serial port (a Silicon Labs HID chip)', () => {
    expect(familyOf(dev(0x10c4, 0x8846))).toBe('unsupported');
    expect(familyOf(dev(0x1a86, 0xe008))).toBe('unsupported');
  });

  it('routes CDC-ACM devices to serial, by device class or by interface', () => {
    expect(familyOf(dev(0x2341, 0x0043, { deviceClass: 0x02 }))).toBe('serial');
    expect(
      familyOf(
        dev(0x2e8a, 0x000a, {
          deviceClass: 0xef,
          interfaces: [
            { class: 0x02, subclass: 0x02, protocol: 0x00 },
            { class: 0x0a, subclass: 0, protocol: 0 },
          ],
        }),
      ),
    ).toBe('serial');
  });

  it('treats hubs and root hubs as bench infrastructure, not as devices', () => {
    expect(familyOf(dev(0x2109, 0x2817, { deviceClass: 0x09 }))).toBe('infrastructure');
    expect(familyOf(dev(0x1d6b, 0x0002, { deviceClass: 0x09 }))).toBe('infrastructure');
  });

  it('reports anything else as unsupported, naming its ids', () => {
    const r = routeUsbDevice(dev(0x046d, 0xc52b));
    expect(r).toEqual({ kind: 'unsupported', why: 'no driver for 046d:c52b' });
    expect(formatUsbId(0x5ac, 0x12ab)).toBe('05ac:12ab');
  });
});
