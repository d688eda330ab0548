import { describe, expect, it } from 'vitest';
import { parseDeviceList, portPathOf, isNetworkSerial } from '../../main/drivers/android/device-list.js';
import {
  deviceReason,
  installFailureKind,
  normalizeComponent,
  parseBattery,
  parseDeviceOwner,
  parseDumpsysPackage,
  parseInstallOutput,
  parseInstallSession,
  parsePackageList,
  parseSavedNetworks,
  parseSetDeviceOwner,
  parseSettingValue,
  propValue,
  shellQuote,
} from '../../main/drivers/android/device-output.js';

// What Android's tools print, as AOSP prints it (Android 14 unless said otherwise).

describe('adb devices -l', () => {
  it('reads serial, state, the usb: port path and the transport id; a state with spaces stays whole', () => {
    const text = [
      'R52N30ABCDE            device usb:1-4.2 product:gta8wifieea model:SM_X200 device:gta8wifi transport_id:3',
      'R52N30FGHIJ            unauthorized usb:1-4.3 transport_id:4',
      '127.0.0.1:40877        offline product:x model:y device:z transport_id:5',
      '0123456789ABCDEF       no permissions (missing udev rules? user is in the plugdev group); see [http://developer.android.com/tools/device.html] usb:2-1 transport_id:6',
      '',
    ].join('\n');
    const list = parseDeviceList(text);
    expect(list.map((d) => [d.serial, d.state, d.usbPath, d.transportId])).toEqual([
      ['R52N30ABCDE', 'device', '1-4.2', '3'],
      ['R52N30FGHIJ', 'unauthorized', '1-4.3', '4'],
      ['127.0.0.1:40877', 'offline', null, '5'],
      [
        '0123456789ABCDEF',
        'no permissions (missing udev rules? user is in the plugdev group); see [http://developer.android.com/tools/device.html]',
        '2-1',
        '6',
      ],
    ]);
    expect(list[0]!.model).toBe('SM_X200');
    expect(portPathOf(list[0]!)).toBe('1-4.2');
    expect(portPathOf(list[2]!)).toBe('adb:127.0.0.1:40877');
    expect(isNetworkSerial('127.0.0.1:40877')).toBe(true);
    expect(isNetworkSerial('R52N30ABCDE')).toBe(false);
    expect(parseDeviceList('')).toEqual([]);
  });
});

describe('getprop and dumpsys battery', () => {
  it('reads a property and the battery in percent of its scale, and whether it charges', () => {
    expect(propValue('R9BT0004100\n')).toBe('R9BT0004100');
    expect(propValue('\n')).toBe('');
    const battery = [
      'Current Battery Service state:',
      '  AC powered: false',
      '  USB powered: true',
      '  Wireless powered: false',
      '  status: 2',
      '  level: 42',
      '  scale: 50',
      '',
    ].join('\n');
    expect(parseBattery(battery)).toEqual({ percent: 84, charging: true });
    expect(parseBattery('  AC powered: false\n  USB powered: false\n  level: 7\n  scale: 100\n')).toEqual({ percent: 7, charging: false });
    expect(parseBattery("cmd: Can't find service: battery")).toBeNull();
  });
});

describe('pm', () => {
  it('finds the exact package among substring matches, with or without a versionCode', () => {
    const text = 'package:org.example.reader.beta versionCode:3\npackage:org.example.reader versionCode:12\n';
    expect(parsePackageList(text, 'org.example.reader')).toEqual({ listed: true, versionCode: 12 });
    expect(parsePackageList('package:org.example.reader\n', 'org.example.reader')).toEqual({ listed: true, versionCode: null });
    expect(parsePackageList('', 'org.example.reader')).toEqual({ listed: false, versionCode: null });
  });

  it('reads versionCode and versionName from dumpsys package', () => {
    const text = [
      'Packages:',
      '  Package [org.example.reader] (2f1c3a0):',
      '    userId=10180',
      '    versionCode=12 minSdk=23 targetSdk=34',
      '    versionName=1.12',
      '  Package [org.example.other] (1):',
      '    versionCode=99 minSdk=23 targetSdk=34',
    ].join('\n');
    expect(parseDumpsysPackage(text, 'org.example.reader')).toEqual({ versionCode: 12, versionName: '1.12' });
    expect(parseDumpsysPackage('Dexopt state:\n', 'org.example.reader')).toBeNull();
  });

  it('reads success and failure from the text, never from an exit code', () => {
    expect(parseInstallOutput('Success\n')).toEqual({ ok: true });
    expect(parseInstallOutput('Performing Streamed Install\nSuccess\n')).toEqual({ ok: true });
    const storage = parseInstallOutput('Failure [INSTALL_FAILED_INSUFFICIENT_STORAGE: Failed to override installation location]\n');
    expect(storage).toEqual({
      ok: false,
      code: 'INSTALL_FAILED_INSUFFICIENT_STORAGE',
      reason: 'Failure [INSTALL_FAILED_INSUFFICIENT_STORAGE: Failed to override installation location]',
    });
    expect(installFailureKind('INSTALL_FAILED_INSUFFICIENT_STORAGE')).toBe('storage');
    expect(installFailureKind('INSTALL_FAILED_UPDATE_INCOMPATIBLE')).toBe('incompatible');
    expect(installFailureKind('INSTALL_FAILED_VERSION_DOWNGRADE')).toBe('downgrade');
    expect(installFailureKind('INSTALL_FAILED_OLDER_SDK')).toBe('old-android');
    expect(installFailureKind(null)).toBe('other');
    expect(parseInstallOutput('')).toMatchObject({ ok: false, code: null });
    expect(parseInstallOutput('Error: APK content must be streamed\n')).toMatchObject({ ok: false });
    expect(parseInstallSession('Success: created install session [1234567]\n')).toBe(1234567);
    expect(parseInstallSession('Error: java.lang.SecurityException')).toBeNull();
  });
});

describe('dpm', () => {
  const exception = (line: string) =>
    `Exception occurred while executing 'set-device-owner':\n${line}\n\tat com.android.server.devicepolicy.DevicePolicyManagerService.enforceCanSetDeviceOwnerLocked(DevicePolicyManagerService.java:10842)\n`;

  it('tells set, already set by us, another owner, accounts, users and a missing DPC apart', () => {
    const c = 'de.benchline.mdm/.AdminReceiver';
    expect(
      parseSetDeviceOwner(
        'Success: Device owner set to package de.benchline.mdm\nActive admin set to component {de.benchline.mdm/de.benchline.mdm.AdminReceiver}\n',
        c,
      ),
    ).toEqual({ kind: 'set' });
    expect(
      parseSetDeviceOwner(
        exception(
          'java.lang.IllegalStateException: Trying to set the device owner (de.benchline.mdm/.AdminReceiver), but device owner (de.benchline.mdm/.AdminReceiver) is already set.',
        ),
        c,
      ),
    ).toEqual({ kind: 'already-owner' });
    expect(
      parseSetDeviceOwner(
        exception(
          'java.lang.IllegalStateException: Trying to set the device owner (de.benchline.mdm/.AdminReceiver), but device owner (com.other.dpc/.Admin) is already set.',
        ),
        c,
      ),
    ).toMatchObject({ kind: 'other-owner', current: 'com.other.dpc/com.other.dpc.Admin' });
    const accounts = parseSetDeviceOwner(
      exception('java.lang.IllegalStateException: Not allowed to set the device owner because there are already some accounts on the device.'),
      c,
    );
    expect(accounts).toEqual({ kind: 'accounts', reason: 'Not allowed to set the device owner because there are already some accounts on the device.' });
    expect(
      parseSetDeviceOwner(
        exception('java.lang.IllegalStateException: Not allowed to set the device owner because there are already several users on the device.'),
        c,
      ),
    ).toMatchObject({ kind: 'users' });
    expect(
      parseSetDeviceOwner(exception('java.lang.IllegalArgumentException: Unknown admin: ComponentInfo{de.benchline.mdm/de.benchline.mdm.AdminReceiver}'), c),
    ).toEqual({
      kind: 'unknown-admin',
      reason: 'Unknown admin: ComponentInfo{de.benchline.mdm/de.benchline.mdm.AdminReceiver}',
    });
    expect(parseSetDeviceOwner('Security exception: Neither user 2000 nor current process has android.permission.MANAGE_DEVICE_ADMINS.\n', c)).toMatchObject({
      kind: 'failed',
    });
  });

  it('reads the owner from list-owners and from dumpsys device_policy', () => {
    expect(parseDeviceOwner('1 owner:\nUser  0: admin=de.benchline.mdm/.AdminReceiver,DeviceOwner,Affiliated\n')).toBe(
      'de.benchline.mdm/de.benchline.mdm.AdminReceiver',
    );
    expect(parseDeviceOwner('no owners\n')).toBeNull();
    expect(
      parseDeviceOwner(
        'Current Device Policy Manager state:\n  Device Owner: \n    admin=ComponentInfo{de.benchline.mdm/de.benchline.mdm.AdminReceiver}\n    name=\n',
      ),
    ).toBe('de.benchline.mdm/de.benchline.mdm.AdminReceiver');
    expect(parseDeviceOwner("Error: unknown command 'list-owners'\n")).toBeUndefined();
    expect(normalizeComponent('ComponentInfo{a.b/.C}')).toBe('a.b/a.b.C');
  });

  it('takes the exception message as the reason, not the stack', () => {
    expect(deviceReason(exception('java.lang.IllegalStateException: Not allowed'))).toBe('Not allowed');
    expect(deviceReason('Error: Argument expected after "set-device-owner"\n')).toBe('Argument expected after "set-device-owner"');
  });
});

describe('settings and cmd wifi', () => {
  it('reads a setting ("null" is unset) and the saved networks, SSIDs with spaces included', () => {
    expect(parseSettingValue('600000\n')).toBe('600000');
    expect(parseSettingValue('null\n')).toBeNull();
    const table =
      'Network Id      SSID                         Security type\n0            Schulnetz                        wpa2-psk\n1            Lehrer WLAN                      open\n';
    expect(parseSavedNetworks(table)).toEqual(['Schulnetz', 'Lehrer WLAN']);
    expect(parseSavedNetworks('No networks\n')).toEqual([]);
    expect(parseSavedNetworks("cmd: Can't find service: wifi\n")).toBeNull();
  });

  it('quotes arguments for the tablet shell only when needed', () => {
    expect(shellQuote('Schulnetz')).toBe('Schulnetz');
    expect(shellQuote("it's a pass")).toBe(`'it'\\''s a pass'`);
  });
});
