import { describe, expect, it } from 'vitest';
import { AppError } from '../../shared/contract/errors.js';
import { iosDriverModule } from '../../main/drivers/ios/ios-module.js';
import { formatUsbmuxdAddress, parseUsbmuxdAddress, UsbmuxdAddressError } from '../../main/drivers/ios/usbmux/usbmux-address.js';
import type { DriverBuildContext } from '../../main/drivers/registry.js';

describe('USBMUXD_SOCKET_ADDRESS', () => {
  it("takes libimobiledevice's forms and a bare path", () => {
    expect(parseUsbmuxdAddress('UNIX:/tmp/mux.sock', 'linux')).toEqual({ kind: 'unix', path: '/tmp/mux.sock' });
    expect(parseUsbmuxdAddress('unix:/var/run/usbmuxd', 'darwin')).toEqual({ kind: 'unix', path: '/var/run/usbmuxd' });
    expect(parseUsbmuxdAddress('/run/usbmuxd', 'linux')).toEqual({ kind: 'unix', path: '/run/usbmuxd' });
    expect(parseUsbmuxdAddress('127.0.0.1:27015', 'linux')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 27015 });
    expect(parseUsbmuxdAddress('mux-host.local:5000', 'win32')).toEqual({ kind: 'tcp', host: 'mux-host.local', port: 5000 });
    expect(parseUsbmuxdAddress('[::1]:27015', 'linux')).toEqual({ kind: 'tcp', host: '::1', port: 27015 });
    expect(parseUsbmuxdAddress('  /tmp/x  ', 'linux')).toEqual({ kind: 'unix', path: '/tmp/x' });
  });

  it("defaults to the platform's daemon when unset or empty", () => {
    expect(parseUsbmuxdAddress(undefined, 'linux')).toEqual({ kind: 'unix', path: '/var/run/usbmuxd' });
    expect(parseUsbmuxdAddress('', 'darwin')).toEqual({ kind: 'unix', path: '/var/run/usbmuxd' });
    expect(parseUsbmuxdAddress(undefined, 'win32')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 27015 });
  });

  it('refuses what is none of the forms, naming the value, instead of falling back to the default', () => {
    for (const bad of ['localhost', 'host:0', 'host:70000', 'relative/path', 'host:port', 'a:b:c']) {
      expect(() => parseUsbmuxdAddress(bad, 'linux'), bad).toThrow(UsbmuxdAddressError);
    }
    try {
      parseUsbmuxdAddress('localhost', 'linux');
    } catch (err) {
      expect((err as UsbmuxdAddressError).value).toBe('localhost');
    }
  });

  it('reads back in the form the variable takes', () => {
    expect(formatUsbmuxdAddress({ kind: 'unix', path: '/var/run/usbmuxd' })).toBe('/var/run/usbmuxd');
    expect(formatUsbmuxdAddress({ kind: 'tcp', host: '127.0.0.1', port: 27015 })).toBe('127.0.0.1:27015');
    expect(formatUsbmuxdAddress({ kind: 'tcp', host: '::1', port: 27015 })).toBe('[::1]:27015');
  });

  it('a station with a bad address refuses to start the iOS driver with the catalogue message', () => {
    const saved = process.env.USBMUXD_SOCKET_ADDRESS;
    process.env.USBMUXD_SOCKET_ADDRESS = 'not-an-address';
    try {
      let caught: unknown;
      try {
        iosDriverModule.build({ usbPorts: null, iosActivationUrl: null, log: () => {} } as unknown as DriverBuildContext);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(AppError);
      expect((caught as AppError).text).toEqual({ code: 'ios.usbmuxd-address', params: { value: 'not-an-address' } });
    } finally {
      if (saved === undefined) delete process.env.USBMUXD_SOCKET_ADDRESS;
      else process.env.USBMUXD_SOCKET_ADDRESS = saved;
    }
  });
});
