/**
 * Which driver family a USB device belongs to, from its vendor/product ids and class codes.
 * Everything that is not routed to a driver and is not bench infrastructure (hubs) is
 * "unsupported" and still shown to the technician, never silently ignored.
 */

export type UsbDriverFamily = 'ios' | 'android' | 'serial';

export interface UsbInterfaceClass {
  class: number;
  subclass: number;
  protocol: number;
}

export interface UsbIds {
  vendorId: number;
  productId: number;
  /** bDeviceClass; 0 means "per interface". */
  deviceClass: number;
  /** Classes of the active configuration's interfaces, where the platform lets us read them. */
  interfaces: readonly UsbInterfaceClass[];
}

export type UsbRoute =
  | { kind: 'driver'; family: UsbDriverFamily; why: string }
  /** Hubs and root hubs: part of the bench, not a device to configure. */
  | { kind: 'infrastructure'; why: string }
  | { kind: 'unsupported'; why: string };

export const USB_CLASS = {
  perInterface: 0x00,
  comm: 0x02,
  hub: 0x09,
  cdcData: 0x0a,
  vendorSpecific: 0xff,
} as const;

/** CDC Abstract Control Model: the class of USB modems and most microcontroller consoles. */
const CDC_ACM_SUBCLASS = 0x02;

/** The ADB interface Android exposes when USB debugging is on (class ff, subclass 42, protocol 01). */
const ADB_INTERFACE = { class: 0xff, subclass: 0x42, protocol: 0x01 };

const APPLE = 0x05ac;
/** iPhone, iPad and iPod touch (in normal, recovery and DFU mode) use product ids 0x12xx. */
const APPLE_IOS_PRODUCTS = { from: 0x1200, to: 0x12ff };

/** Vendors whose USB devices on a configuration bench are Android phones and tablets. */
export const ANDROID_VENDORS: ReadonlyMap<number, string> = new Map([
  [0x18d1, 'Google'],
  [0x04e8, 'Samsung'],
  [0x22b8, 'Motorola'],
  [0x1004, 'LG'],
  [0x0bb4, 'HTC'],
  [0x12d1, 'Huawei'],
  [0x2717, 'Xiaomi'],
  [0x17ef, 'Lenovo'],
  [0x0fce, 'Sony'],
  [0x2a70, 'OnePlus'],
  [0x19d2, 'ZTE'],
  [0x0b05, 'Asus'],
  [0x0502, 'Acer'],
  [0x22d9, 'OPPO'],
  [0x2d95, 'vivo'],
  [0x2e04, 'HMD (Nokia)'],
  [0x1949, 'Amazon'],
  [0x1bbb, 'TCL / Alcatel'],
  [0x2ae5, 'Fairphone'],
  [0x0e8d, 'MediaTek'],
]);

/**
 * USB-serial bridges: vendor, and the product ids that are serial bridges (null: every product of
 * the vendor). CP210x and CH34x vendors make other chips too, so those are listed by product.
 */
export const SERIAL_BRIDGES: ReadonlyMap<number, { name: string; products: readonly number[] | null }> = new Map([
  [0x0403, { name: 'FTDI', products: null }],
  [0x10c4, { name: 'Silicon Labs CP210x', products: [0xea60, 0xea61, 0xea63, 0xea70, 0xea71, 0xea7a, 0xea7b] }],
  [0x1a86, { name: 'WCH CH34x', products: [0x7522, 0x7523, 0x5523, 0x55d2, 0x55d3, 0x55d4, 0x55d5] }],
  [0x067b, { name: 'Prolific PL2303', products: [0x2303, 0x2304, 0x23a3, 0x23b3, 0x23c3, 0x23d3, 0x23e3, 0x23f3] }],
]);

/** Linux's root hubs (vendor "Linux Foundation"). */
const LINUX_FOUNDATION = 0x1d6b;

export function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}

/** "05ac:12a8", the way lsusb and udev rules write ids. */
export function formatUsbId(vendorId: number, productId: number): string {
  return `${hex4(vendorId)}:${hex4(productId)}`;
}

function hasInterface(ids: UsbIds, match: (i: UsbInterfaceClass) => boolean): boolean {
  return ids.interfaces.some(match);
}

/** Routes a device to its driver family. Order matters: see the comments. */
export function routeUsbDevice(ids: UsbIds): UsbRoute {
  const { vendorId: vid, productId: pid } = ids;
  const id = formatUsbId(vid, pid);
  if (ids.deviceClass === USB_CLASS.hub || vid === LINUX_FOUNDATION) return { kind: 'infrastructure', why: `${id} is a USB hub` };

  if (vid === APPLE) {
    if (pid >= APPLE_IOS_PRODUCTS.from && pid <= APPLE_IOS_PRODUCTS.to) return { kind: 'driver', family: 'ios', why: `Apple iOS device ${id}` };
    return { kind: 'unsupported', why: `Apple accessory ${id} (not an iPhone or iPad)` };
  }

  // An ADB interface is Android whoever made the device; checked before CDC-ACM because Android
  // phones often expose a modem (CDC-ACM) interface as well.
  if (hasInterface(ids, (i) => i.class === ADB_INTERFACE.class && i.subclass === ADB_INTERFACE.subclass && i.protocol === ADB_INTERFACE.protocol)) {
    return { kind: 'driver', family: 'android', why: `ADB interface on ${id}` };
  }
  const android = ANDROID_VENDORS.get(vid);
  if (android) return { kind: 'driver', family: 'android', why: `${android} ${id}` };

  const bridge = SERIAL_BRIDGES.get(vid);
  if (bridge && (bridge.products === null || bridge.products.includes(pid))) {
    return { kind: 'driver', family: 'serial', why: `${bridge.name} USB-serial bridge ${id}` };
  }
  if (ids.deviceClass === USB_CLASS.comm || hasInterface(ids, (i) => i.class === USB_CLASS.comm && i.subclass === CDC_ACM_SUBCLASS)) {
    return { kind: 'driver', family: 'serial', why: `CDC-ACM device ${id}` };
  }
  return { kind: 'unsupported', why: `no driver for ${id}` };
}

/** A name for the vendor when the device does not tell its manufacturer string. */
export function vendorName(vendorId: number): string | null {
  if (vendorId === APPLE) return 'Apple';
  return ANDROID_VENDORS.get(vendorId) ?? SERIAL_BRIDGES.get(vendorId)?.name ?? null;
}
