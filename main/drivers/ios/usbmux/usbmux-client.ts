import type { Duplex } from 'node:stream';
import { FrameReader } from '../frame-reader.js';
import { IosLinkError, type PlistDict } from '../ios-link.js';
import { untilAborted } from '../link-abort.js';
import { decodePlistDict, encodePlistBinary, isPlistDict, plistData, plistInteger, plistString } from '../plist-codec.js';
import type { UsbmuxdDialer } from './usbmux-address.js';
import { USBMUX_FRAMES, USBMUX_RESULT, encodeUsbmuxMessage, swapPort, usbmuxTag, type UsbmuxClientIdentity } from './usbmux-protocol.js';

/** A device as usbmuxd lists it. */
export interface UsbmuxDevice {
  /** usbmuxd's id for this attachment (a new one after every re-plug and every daemon restart). */
  deviceId: number;
  /** The UDID (usbmuxd calls it SerialNumber). */
  udid: string;
  /** "USB", or "Network" for devices usbmuxd reaches over Wi-Fi. */
  connectionType: string;
  locationId: number | null;
  productId: number | null;
}

export type UsbmuxEvent =
  | { type: 'attached'; device: UsbmuxDevice }
  | { type: 'detached'; deviceId: number }
  | { type: 'paired'; deviceId: number }
  | { type: 'other'; messageType: string };

const REQUEST_TAG = 1;

/**
 * A client of usbmuxd. Every request opens its own connection, as libusbmuxd does, so one stuck
 * request never holds up another and a daemon restart costs only the requests in flight. Our own
 * client rather than appium-ios-device's Usbmux: that one has no Listen, no Save/DeletePairRecord
 * and no way to abort a request (it waits out a fixed timeout even when the daemon has gone).
 */
export class UsbmuxClient {
  constructor(
    private readonly dial: UsbmuxdDialer,
    private readonly identity: UsbmuxClientIdentity,
    /** The address as people write it, for messages. */
    readonly address: string,
  ) {}

  async listDevices(signal: AbortSignal): Promise<UsbmuxDevice[]> {
    const reply = await this.request({ MessageType: 'ListDevices' }, signal);
    const list = reply.DeviceList;
    if (!Array.isArray(list)) throw new IosLinkError('protocol', 'usbmuxd answered ListDevices without a DeviceList');
    return list.flatMap((entry) => {
      const device = isPlistDict(entry) ? parseDevice(entry) : null;
      return device ? [device] : [];
    });
  }

  /** The host's id as usbmuxd keeps it: pair records carry it as SystemBUID. */
  async readBuid(signal: AbortSignal): Promise<string> {
    const reply = await this.request({ MessageType: 'ReadBUID' }, signal);
    const buid = plistString(reply, 'BUID');
    if (!buid) throw new IosLinkError('protocol', 'usbmuxd answered ReadBUID without a BUID');
    return buid;
  }

  /** The device's pair record, or null when usbmuxd holds none. */
  async readPairRecord(udid: string, signal: AbortSignal): Promise<PlistDict | null> {
    const reply = await this.request({ MessageType: 'ReadPairRecord', PairRecordID: udid }, signal);
    const data = plistData(reply, 'PairRecordData');
    if (!data) return null;
    return decodePlistDict(data, `the pair record of ${udid}`);
  }

  /** Stores a pair record (binary, as libimobiledevice writes it); usbmuxd then tells Listen clients "Paired". */
  async savePairRecord(udid: string, deviceId: number, record: PlistDict, signal: AbortSignal): Promise<void> {
    const reply = await this.request(
      { MessageType: 'SavePairRecord', PairRecordID: udid, PairRecordData: encodePlistBinary(record), DeviceID: deviceId },
      signal,
    );
    expectOk(reply, `usbmuxd did not store the pair record of ${udid}`);
  }

  async deletePairRecord(udid: string, signal: AbortSignal): Promise<void> {
    await this.request({ MessageType: 'DeletePairRecord', PairRecordID: udid }, signal);
  }

  /** A byte pipe to a port on the device (62078 is lockdownd); the connection is the caller's to close. */
  async connect(deviceId: number, port: number, signal: AbortSignal): Promise<Duplex> {
    const { reply, stream, reader } = await this.exchange({ MessageType: 'Connect', DeviceID: deviceId, PortNumber: swapPort(port) }, signal);
    const result = plistInteger(reply, 'Number');
    if (result !== USBMUX_RESULT.ok) {
      stream.destroy();
      if (result === USBMUX_RESULT.badDevice) throw new IosLinkError('device-gone', `usbmuxd no longer has device ${deviceId}`, 'BadDevice');
      if (result === USBMUX_RESULT.connectionRefused)
        throw new IosLinkError('service-refused', `the device refused a connection to port ${port}`, 'ConnectionRefused');
      throw new IosLinkError('protocol', `usbmuxd answered Connect with result ${result ?? 'none'}`, String(result));
    }
    const rest = reader.detach();
    if (rest.length > 0) stream.unshift(rest);
    return stream;
  }

  /** A Listen connection: Result 0, then Attached/Detached/Paired as they happen (tag 0). */
  async listen(signal: AbortSignal): Promise<UsbmuxListenConnection> {
    const { reply, stream, reader } = await this.exchange({ MessageType: 'Listen' }, signal);
    if (plistInteger(reply, 'Number') !== USBMUX_RESULT.ok) {
      stream.destroy();
      throw new IosLinkError('protocol', `usbmuxd refused Listen (result ${plistInteger(reply, 'Number') ?? 'none'})`);
    }
    return new UsbmuxListenConnection(stream, reader, this.address);
  }

  private async request(payload: PlistDict, signal: AbortSignal): Promise<PlistDict> {
    const { reply, stream } = await this.exchange(payload, signal);
    stream.destroy();
    return reply;
  }

  /** Dials, sends one request and reads its answer (skipping anything with another tag); the stream stays open. */
  private async exchange(payload: PlistDict, signal: AbortSignal): Promise<{ reply: PlistDict; stream: Duplex; reader: FrameReader }> {
    const stream = await this.dial(signal);
    const what = typeof payload.MessageType === 'string' ? payload.MessageType : 'a request';
    const reader = new FrameReader(
      stream,
      USBMUX_FRAMES,
      () => new IosLinkError('usbmuxd-unreachable', `usbmuxd at ${this.address} closed the connection during ${what}`, 'ConnectionClosed'),
    );
    try {
      stream.write(encodeUsbmuxMessage(REQUEST_TAG, payload, this.identity));
      for (;;) {
        const frame = await untilAborted(signal, reader.next(), () => stream.destroy());
        if (usbmuxTag(frame.header) !== REQUEST_TAG) continue;
        return { reply: decodePlistDict(frame.body, `usbmuxd's answer to ${what}`), stream, reader };
      }
    } catch (err) {
      stream.destroy();
      throw err;
    }
  }
}

/** The open Listen connection; `next` rejects with 'usbmuxd-unreachable' when the daemon goes away. */
export class UsbmuxListenConnection {
  constructor(
    private readonly stream: Duplex,
    private readonly reader: FrameReader,
    readonly address: string,
  ) {}

  async next(): Promise<UsbmuxEvent> {
    const frame = await this.reader.next();
    const message = decodePlistDict(frame.body, 'a usbmuxd event');
    const type = plistString(message, 'MessageType') ?? '';
    const deviceId = plistInteger(message, 'DeviceID');
    if (type === 'Attached') {
      const device = parseDevice(message);
      if (device) return { type: 'attached', device };
    }
    if (type === 'Detached' && deviceId !== null) return { type: 'detached', deviceId };
    if (type === 'Paired' && deviceId !== null) return { type: 'paired', deviceId };
    return { type: 'other', messageType: type };
  }

  close(): void {
    this.stream.destroy();
  }
}

function expectOk(reply: PlistDict, problem: string): void {
  const result = plistInteger(reply, 'Number');
  if (result !== null && result !== USBMUX_RESULT.ok) throw new IosLinkError('protocol', `${problem} (result ${result})`, String(result));
}

/** An Attached entry ({DeviceID, Properties:{SerialNumber, ConnectionType, LocationID, ProductID}}). */
function parseDevice(entry: PlistDict): UsbmuxDevice | null {
  const properties = isPlistDict(entry.Properties) ? entry.Properties : null;
  const deviceId = plistInteger(entry, 'DeviceID') ?? (properties ? plistInteger(properties, 'DeviceID') : null);
  const udid = properties ? plistString(properties, 'SerialNumber') : null;
  if (deviceId === null || !properties || !udid) return null;
  return {
    deviceId,
    udid,
    connectionType: plistString(properties, 'ConnectionType') ?? 'USB',
    locationId: plistInteger(properties, 'LocationID'),
    productId: plistInteger(properties, 'ProductID'),
  };
}
