import { describe, expect, it } from 'vitest';
import type { UploadFaults } from '../emulators/ios/services/afc.js';
import { afcService } from '../emulators/ios/services/afc.js';
import { AfcOp, AfcStatus, type AfcPacket } from '../emulators/ios/services/afc-protocol.js';
import { IPAD_SETUP_PANES } from '../emulators/ios/services/supervision.js';
import { USB_UPLOAD_BYTES_PER_SECOND } from '../emulators/ios/services/timings.js';
import { afcClient, emulatedIpad, serviceHarness, type AfcClient } from '../fixtures/ios-service-harness.js';

const u64 = (n: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
};
/** libimobiledevice ends paths with a NUL; go-ios and appium-ios-device do not. */
const cPath = (p: string): Buffer => Buffer.from(`${p}\0`);
const goPath = (p: string): Buffer => Buffer.from(p);

function statusOf(answer: AfcPacket): number {
  expect(answer.operation).toBe(AfcOp.status);
  return Number(answer.headerPayload.readBigUInt64LE(0));
}
const strings = (answer: AfcPacket): string[] => answer.data.toString('utf8').split('\0').slice(0, -1);

async function open(afc: AfcClient, path: string, mode: number): Promise<Buffer> {
  const answer = await afc.call(AfcOp.fileOpen, Buffer.concat([u64(mode), cPath(path)]));
  expect(answer.operation).toBe(AfcOp.fileOpenResult);
  return answer.headerPayload.subarray(0, 8);
}

async function upload(afc: AfcClient, path: string, data: Buffer, chunk: number): Promise<void> {
  const handle = await open(afc, path, 3);
  for (let at = 0; at < data.length; at += chunk) expect(statusOf(await afc.call(AfcOp.fileWrite, handle, data.subarray(at, at + chunk)))).toBe(0);
  expect(statusOf(await afc.call(AfcOp.fileClose, handle))).toBe(0);
}

describe('AFC', () => {
  it('uploads to PublicStaging the way ideviceinstaller does, and reads it back', async () => {
    const harness = serviceHarness(emulatedIpad());
    const afc = afcClient(harness.connect(afcService));
    const info = strings(await afc.call(AfcOp.getDeviceInfo));
    expect(info.slice(0, 2)).toEqual(['Model', 'iPad13,18']);
    expect(info).toContain('FSFreeBytes');

    expect(statusOf(await afc.call(AfcOp.getFileInfo, cPath('PublicStaging')))).toBe(AfcStatus.objectNotFound);
    expect(statusOf(await afc.call(AfcOp.makeDir, cPath('PublicStaging')))).toBe(0);
    const dirInfo = strings(await afc.call(AfcOp.getFileInfo, goPath('PublicStaging')));
    expect(dirInfo[dirInfo.indexOf('st_ifmt') + 1]).toBe('S_IFDIR');

    const ipa = Buffer.alloc(100_000, 7);
    await upload(afc, 'PublicStaging/de.schule.app', ipa, 8192);
    expect(harness.device.files.get('PublicStaging/de.schule.app')?.equals(ipa)).toBe(true);
    const fileInfo = strings(await afc.call(AfcOp.getFileInfo, goPath('/PublicStaging/de.schule.app')));
    expect(fileInfo.slice(0, 2)).toEqual(['st_size', '100000']);
    expect(fileInfo[fileInfo.indexOf('st_ifmt') + 1]).toBe('S_IFREG');
    expect(strings(await afc.call(AfcOp.readDir, goPath('PublicStaging')))).toEqual(['.', '..', 'de.schule.app']);

    const handle = await open(afc, 'PublicStaging/de.schule.app', 1);
    const read = await afc.call(AfcOp.fileRead, Buffer.concat([handle, u64(70_000)]));
    expect(read.operation).toBe(AfcOp.data);
    expect(read.data.length).toBe(70_000);
    expect((await afc.call(AfcOp.fileRead, Buffer.concat([handle, u64(70_000)]))).data.length).toBe(30_000);
    expect(statusOf(await afc.call(AfcOp.fileClose, handle))).toBe(0);
  });

  it('answers what a file system would: missing parents, directories, non-empty removal, renames, the jail', async () => {
    const harness = serviceHarness(emulatedIpad());
    const afc = afcClient(harness.connect(afcService));
    expect(statusOf(await afc.call(AfcOp.fileOpen, Buffer.concat([u64(3), cPath('Nowhere/x')])))).toBe(AfcStatus.objectNotFound);
    expect(statusOf(await afc.call(AfcOp.fileOpen, Buffer.concat([u64(1), cPath('Downloads/missing')])))).toBe(AfcStatus.objectNotFound);
    expect(statusOf(await afc.call(AfcOp.fileOpen, Buffer.concat([u64(3), cPath('Downloads')])))).toBe(AfcStatus.objectIsDir);
    expect(statusOf(await afc.call(AfcOp.makeDir, cPath('a/b/c')))).toBe(0);
    await upload(afc, 'a/b/c/file', Buffer.from('hallo'), 2);
    expect(statusOf(await afc.call(AfcOp.removePath, goPath('a/b')))).toBe(AfcStatus.dirNotEmpty);
    expect(statusOf(await afc.call(AfcOp.renamePath, Buffer.concat([cPath('a/b'), cPath('a/z')])))).toBe(0);
    expect(harness.device.files.get('a/z/c/file')?.toString()).toBe('hallo');
    expect(statusOf(await afc.call(AfcOp.removePathAndContents, goPath('a')))).toBe(0);
    expect(statusOf(await afc.call(AfcOp.getFileInfo, goPath('a')))).toBe(AfcStatus.objectNotFound);
    expect(harness.device.files.size).toBe(0);
    expect(statusOf(await afc.call(AfcOp.readDir, goPath('../../etc')))).toBe(AfcStatus.permissionDenied);
    expect(strings(await afc.call(AfcOp.readDir, goPath('/')))).toContain('DCIM');
    expect(statusOf(await afc.call(0x99))).toBe(AfcStatus.operationNotSupported);
  });

  it('paces uploads to USB 2 speed, scaled', async () => {
    // At speed 1, 3 MB at 30 MB/s takes at least 100 ms; without pacing the in-memory copy takes a few.
    const harness = serviceHarness(emulatedIpad(), 1);
    const afc = afcClient(harness.connect(afcService));
    await afc.call(AfcOp.makeDir, cPath('PublicStaging'));
    const bytes = 3_000_000;
    const started = performance.now();
    await upload(afc, 'PublicStaging/big', Buffer.alloc(bytes), 65_536);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual((bytes / USB_UPLOAD_BYTES_PER_SECOND) * 1000 * 0.9);
  });

  it('unplugs once when a PublicStaging upload reaches the fault share, keeping what was written', async () => {
    const faults: UploadFaults = { unplugDuringUploadAt: 0.5, uploadSizeBytes: 40_000 };
    const harness = serviceHarness(emulatedIpad({ faults }));
    const afc = afcClient(harness.connect(afcService));
    await afc.call(AfcOp.makeDir, cPath('PublicStaging'));
    const handle = await open(afc, 'PublicStaging/app', 3);
    expect(statusOf(await afc.call(AfcOp.fileWrite, handle, Buffer.alloc(10_000, 1)))).toBe(0);
    await expect(afc.call(AfcOp.fileWrite, handle, Buffer.alloc(10_000, 2))).rejects.toThrow(/closed/);
    expect(harness.unplugs).toBe(1);
    expect(harness.device.files.get('PublicStaging/app')?.length).toBe(20_000);
    expect(harness.device.faults.unplugDuringUploadAt).toBeUndefined();

    // Back on the bus, the upload starts over cleanly (truncating the partial file) and the fault does not fire again.
    const again = afcClient(harness.connect(afcService));
    await upload(again, 'PublicStaging/app', Buffer.alloc(40_000, 3), 10_000);
    expect(harness.unplugs).toBe(1);
    expect(harness.device.files.get('PublicStaging/app')?.equals(Buffer.alloc(40_000, 3))).toBe(true);
  });

  it('without a size for the share, leaves before acknowledging the close of the upload', async () => {
    const harness = serviceHarness(emulatedIpad({ faults: { unplugDuringUploadAt: 0.3 } }));
    const afc = afcClient(harness.connect(afcService));
    await afc.call(AfcOp.makeDir, cPath('PublicStaging'));
    await afc.call(AfcOp.makeDir, cPath('Downloads'));
    await upload(afc, 'Downloads/not-staging', Buffer.alloc(100), 50);
    expect(harness.unplugs).toBe(0);
    const handle = await open(afc, 'PublicStaging/app', 3);
    expect(statusOf(await afc.call(AfcOp.fileWrite, handle, Buffer.alloc(5_000)))).toBe(0);
    await expect(afc.call(AfcOp.fileClose, handle)).rejects.toThrow(/closed/);
    expect(harness.unplugs).toBe(1);
  });

  it('finishes Setup Assistant when go-ios prepare writes the SkipSetup file after a skip-all configuration', async () => {
    const device = emulatedIpad({ setupDone: false, cloudConfiguration: { IsSupervised: true, SkipSetup: [...IPAD_SETUP_PANES] } });
    const afc = afcClient(serviceHarness(device).connect(afcService));
    await afc.call(AfcOp.removePathAndContents, goPath('iTunes_Control/iTunes/SkipSetup'));
    expect(statusOf(await afc.call(AfcOp.makeDir, cPath('iTunes_Control/iTunes')))).toBe(0);
    expect(device.setupDone).toBe(false);
    const handle = await open(afc, 'iTunes_Control/iTunes/SkipSetup', 3);
    await afc.call(AfcOp.fileClose, handle);
    expect(device.setupDone).toBe(true);

    const partly = emulatedIpad({ setupDone: false, cloudConfiguration: { IsSupervised: true, SkipSetup: ['Siri'] } });
    const second = afcClient(serviceHarness(partly).connect(afcService));
    await second.call(AfcOp.makeDir, cPath('iTunes_Control/iTunes'));
    await second.call(AfcOp.fileClose, await open(second, 'iTunes_Control/iTunes/SkipSetup', 3));
    expect(partly.setupDone).toBe(false);
  });
});
