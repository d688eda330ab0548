import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ANDROID_VENDORS, SERIAL_BRIDGES, hex4 } from '../../../main/drivers/usb/usb-ids.js';

const root = path.resolve(import.meta.dirname, '../../..');
const rules = fs.readFileSync(path.join(root, 'resources/linux/70-benchline.rules'), 'utf8');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');

describe('udev rule for USB permissions', () => {
  const vendors = (text: string) => new Set([...text.matchAll(/ATTR\{idVendor\}=="([0-9a-f]{4})"/g)].map((m) => m[1]));

  it('opens every vendor the routing table sends to a driver, so "no access" tiles have a fix', () => {
    const ruled = vendors(rules);
    const routed = ['05ac', ...[...ANDROID_VENDORS.keys()].map(hex4), ...[...SERIAL_BRIDGES.keys()].map(hex4)];
    expect(routed.filter((v) => !ruled.has(v))).toEqual([]);
    expect(rules).toMatch(/ATTR\{bDeviceClass\}=="02"/);
    expect(rules).toMatch(/KERNEL=="ttyUSB\[0-9\]\*\|ttyACM\[0-9\]\*", MODE="0660", GROUP="dialout"/);
  });

  it("is in the README, where the station's permission message sends the technician", () => {
    expect(readme).toMatch(/### USB permissions/);
    expect(vendors(readme)).toEqual(vendors(rules));
  });
});
