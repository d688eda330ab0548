import { duplexPair } from 'node:stream';
import { buildBinary } from 'plist';
import { describe, expect, it } from 'vitest';
import { FrameReader } from '../../main/drivers/ios/frame-reader.js';
import { IosLinkError } from '../../main/drivers/ios/ios-link.js';
import { PLIST_FRAMES, StreamPlistChannel } from '../../main/drivers/ios/lockdown/plist-channel.js';
import { decodePlistDict, encodePlistBinary, encodePlistXml } from '../../main/drivers/ios/plist-codec.js';
import { USBMUX_FRAMES, encodeUsbmuxMessage, swapPort, usbmuxTag } from '../../main/drivers/ios/usbmux/usbmux-protocol.js';
import { StepAbortedError } from '../../main/drivers/step-errors.js';

const identity = { progName: 'benchline', clientVersionString: 'benchline-test' };

/** A usbmuxd packet as the header describes it: length, version, message type, tag, then the plist. */
function readPacket(bytes: Buffer) {
  return {
    length: bytes.readUInt32LE(0),
    version: bytes.readUInt32LE(4),
    message: bytes.readUInt32LE(8),
    tag: bytes.readUInt32LE(12),
    body: decodePlistDict(bytes.subarray(16), 'test'),
  };
}

describe('usbmuxd packets', () => {
  it('are a 16-byte little-endian header (length with header, version 1, plist 8, tag) and an XML plist naming the client', () => {
    const bytes = encodeUsbmuxMessage(7, { MessageType: 'Connect', DeviceID: 3, PortNumber: swapPort(62078) }, identity);
    const packet = readPacket(bytes);
    expect({ length: packet.length, version: packet.version, message: packet.message, tag: packet.tag }).toEqual({
      length: bytes.length,
      version: 1,
      message: 8,
      tag: 7,
    });
    expect(packet.body).toEqual({
      MessageType: 'Connect',
      DeviceID: 3,
      PortNumber: 32498,
      ClientVersionString: 'benchline-test',
      ProgName: 'benchline',
      kLibUSBMuxVersion: 3,
    });
    expect(bytes.subarray(16, 21).toString()).toBe('<?xml');
    expect(usbmuxTag(bytes.subarray(0, 16))).toBe(7);
  });

  it("byte-swaps Connect's port (62078 goes as 32498) and swapping twice gives it back", () => {
    expect(swapPort(62078)).toBe(32498);
    expect(swapPort(0x1234)).toBe(0x3412);
    for (const port of [1, 80, 49152, 65535]) expect(swapPort(swapPort(port))).toBe(port);
  });
});

describe('frames off a stream', () => {
  it('come whole however the bytes are cut, in order, and wait for the rest of a split frame', async () => {
    const [a, b] = duplexPair();
    const reader = new FrameReader(b, USBMUX_FRAMES, () => new IosLinkError('device-gone', 'closed'));
    const one = encodeUsbmuxMessage(1, { MessageType: 'ListDevices' }, identity);
    const two = encodeUsbmuxMessage(2, { MessageType: 'ReadBUID' }, identity);
    const all = Buffer.concat([one, two]);
    // Byte by byte for the first, both remaining in one chunk.
    for (let i = 0; i < 20; i++) a.write(all.subarray(i, i + 1));
    a.write(all.subarray(20));
    const first = await reader.next();
    const second = await reader.next();
    expect([usbmuxTag(first.header), decodePlistDict(first.body, 't').MessageType]).toEqual([1, 'ListDevices']);
    expect([usbmuxTag(second.header), decodePlistDict(second.body, 't').MessageType]).toEqual([2, 'ReadBUID']);
    a.destroy();
  });

  it('rejects waits when the stream closes, with the error the owner chose', async () => {
    const [a, b] = duplexPair();
    const reader = new FrameReader(b, PLIST_FRAMES, () => new IosLinkError('device-gone', 'the connection closed', 'ConnectionClosed'));
    const waiting = reader.next();
    a.end();
    const err = (await waiting.catch((e: unknown) => e)) as IosLinkError;
    expect([err.kind, err.deviceReason]).toEqual(['device-gone', 'ConnectionClosed']);
    await expect(reader.next()).rejects.toBe(err);
  });

  it('closes the stream on a frame larger than the framing allows', async () => {
    const [a, b] = duplexPair();
    const reader = new FrameReader(b, PLIST_FRAMES, () => new IosLinkError('device-gone', 'closed'));
    const header = Buffer.alloc(4);
    header.writeUInt32BE(PLIST_FRAMES.maxBody + 1, 0);
    a.write(header);
    const err = (await reader.next().catch((e: unknown) => e)) as IosLinkError;
    expect(err.kind).toBe('protocol');
    expect(b.destroyed).toBe(true);
  });

  it('an aborted wait closes the stream (half a conversation cannot be trusted) and says it was aborted', async () => {
    const [, b] = duplexPair();
    const reader = new FrameReader(b, PLIST_FRAMES, () => new IosLinkError('device-gone', 'closed'));
    const abort = new AbortController();
    const waiting = reader.next(abort.signal);
    abort.abort();
    await expect(waiting).rejects.toBeInstanceOf(StepAbortedError);
    expect(b.destroyed).toBe(true);
  });

  it('hands the stream over with what was read beyond the last frame (usbmuxd Connect, TLS on the same socket)', async () => {
    const [a, b] = duplexPair();
    const reader = new FrameReader(b, USBMUX_FRAMES, () => new IosLinkError('device-gone', 'closed'));
    a.write(Buffer.concat([encodeUsbmuxMessage(1, { MessageType: 'Result', Number: 0 }, identity), Buffer.from('DEVICE')]));
    await reader.next();
    expect(reader.detach().toString()).toBe('DEVICE');
  });
});

describe('the plist channel (lockdownd and the services)', () => {
  it('sends a 4-byte big-endian length and XML, and reads XML or binary answers', async () => {
    const [host, device] = duplexPair();
    const channel = new StreamPlistChannel(host, 'lockdownd of test');
    const sent: Buffer[] = [];
    device.on('data', (chunk: Buffer) => sent.push(chunk));
    await channel.send({ Label: 'benchline', Request: 'GetValue', Key: 'ProductType' });
    await new Promise((r) => setImmediate(r));
    const bytes = Buffer.concat(sent);
    expect(bytes.readUInt32BE(0)).toBe(bytes.length - 4);
    expect(decodePlistDict(bytes.subarray(4), 't')).toEqual({ Label: 'benchline', Request: 'GetValue', Key: 'ProductType' });

    const frame = (body: Buffer) => {
      const header = Buffer.alloc(4);
      header.writeUInt32BE(body.length, 0);
      return Buffer.concat([header, body]);
    };
    device.write(frame(encodePlistXml({ Request: 'GetValue', Value: 'iPad13,18' })));
    device.write(frame(Buffer.from(buildBinary({ Request: 'GetValue', Value: new Uint8Array([1, 2, 3]), Big: 2 ** 40 }))));
    expect(await channel.receive()).toEqual({ Request: 'GetValue', Value: 'iPad13,18' });
    const binary = await channel.receive();
    expect(Buffer.isBuffer(binary.Value)).toBe(true);
    expect([...(binary.Value as Buffer)]).toEqual([1, 2, 3]);
    expect(binary.Big).toBe(2 ** 40);
    channel.close();
  });

  it('refuses a plist that is no dictionary, or no plist, as a protocol error naming whose it was', () => {
    expect(() => decodePlistDict(Buffer.from('<plist><string>x</string></plist>'), 'the answer of X')).toThrow(
      /the answer of X: the property list is not a dictionary/,
    );
    expect(() => decodePlistDict(Buffer.from('garbage'), 'the answer of X')).toThrow(IosLinkError);
  });

  it('writes pair records in binary, as libimobiledevice stores them, and reads them back', () => {
    const record = { HostID: 'H', HostPrivateKey: Buffer.from('-----BEGIN RSA PRIVATE KEY-----\n'), EscrowBag: Buffer.alloc(16, 7) };
    const bytes = encodePlistBinary(record);
    expect(bytes.subarray(0, 8).toString('latin1')).toBe('bplist00');
    expect(decodePlistDict(bytes, 'record')).toEqual(record);
  });

  it('sends nothing on a closed stream and says the device is gone', async () => {
    const [host] = duplexPair();
    const channel = new StreamPlistChannel(host, 'service');
    channel.close();
    const err = (await channel.send({ Request: 'x' }).catch((e: unknown) => e)) as IosLinkError;
    expect(err.kind).toBe('device-gone');
  });
});
