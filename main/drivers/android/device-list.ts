/** One line of `adb devices -l` (and of each `host:track-devices-l` message). */
export interface AdbDeviceEntry {
  /** The transport's serial: the USB serial number, or HOST:PORT for a device reached over the network. */
  serial: string;
  /** `device`, `unauthorized`, `offline`, `authorizing`, `connecting`, `recovery`, `no permissions (...)`, ... */
  state: string;
  /** The USB port path without its prefix ("1-4.2"); null for network devices (and on Windows). */
  usbPath: string | null;
  product: string | null;
  model: string | null;
  device: string | null;
  /** Absent from servers before adb 1.0.41. */
  transportId: string | null;
}

const FIELD = /^(usb|product|model|device|transport_id):(.*)$/;

/**
 * Parses the long device list: "SERIAL   STATE usb:1-4.2 product:x model:Tab_S9 device:y transport_id:3".
 * The state may hold spaces ("no permissions (missing udev rules? ...)"), so it runs up to the
 * first known field; unknown fields are ignored.
 */
export function parseDeviceList(text: string): AdbDeviceEntry[] {
  const entries: AdbDeviceEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('*') || line.startsWith('List of devices')) continue;
    const tokens = line.split(/\s+/);
    const serial = tokens[0]!;
    let i = 1;
    const state: string[] = [];
    while (i < tokens.length && !FIELD.test(tokens[i]!)) state.push(tokens[i++]!);
    const entry: AdbDeviceEntry = { serial, state: state.join(' ') || 'unknown', usbPath: null, product: null, model: null, device: null, transportId: null };
    for (; i < tokens.length; i++) {
      const m = FIELD.exec(tokens[i]!);
      if (!m || !m[2]) continue;
      const value = m[2];
      if (m[1] === 'usb') entry.usbPath = value;
      else if (m[1] === 'transport_id') entry.transportId = value;
      else if (m[1] === 'product' || m[1] === 'model' || m[1] === 'device') entry[m[1]] = value;
    }
    entries.push(entry);
  }
  return entries;
}

/** The port path the bench layout maps to a slot: the USB path, else `adb:SERIAL` (the tile shows it by serial). */
export function portPathOf(entry: Pick<AdbDeviceEntry, 'serial' | 'usbPath'>): string {
  return entry.usbPath ?? `adb:${entry.serial}`;
}

/** Whether the transport is a network one (`adb connect HOST:PORT`), which a restarted server forgets. */
export function isNetworkSerial(serial: string): boolean {
  return /^(\[[0-9a-f:]+\]|[A-Za-z0-9.-]+):\d+$/.test(serial);
}
