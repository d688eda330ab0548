import { describe, expect, it } from 'vitest';
import { AdbLinkError, toLinkError } from '../../main/drivers/android/adb-client.js';

// Found by tests/integration/android-tablets.test.ts: with the adb server killed mid-install,
// @yume-chan/adb ends the step with these texts (an unplug mid-upload with stream errors); taken
// for a refusal they failed the step (a retry and a failure in the shift log) instead of running
// it again once the tablet is back.
describe('adb errors: a dropped connection is not a refusal', () => {
  it.each(['ExactReadable ended', 'Socket ended without exit message'])('"%s" means the tablet was lost, so the step runs again', (text) => {
    expect(toLinkError(new Error(text)).kind).toBe('device-gone');
  });

  it.each([
    ['write ECANCELED', 'ECANCELED'],
    ['Cannot call write after a stream was destroyed', 'ERR_STREAM_DESTROYED'],
  ])('"%s" (a write into a connection closed under the upload) means the tablet was lost', (text, code) => {
    expect(toLinkError(Object.assign(new Error(text), { code })).kind).toBe('device-gone');
  });

  it('errno codes of a dead server, the FAIL reasons of a missing device, and a real refusal', () => {
    expect(toLinkError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5037'), { code: 'ECONNREFUSED' })).kind).toBe('server-unreachable');
    expect(toLinkError(new Error("device '127.0.0.1:5555' not found")).kind).toBe('device-gone');
    expect(toLinkError(new Error('closed')).kind).toBe('refused');
    const kept = new AdbLinkError('refused', 'x');
    expect(toLinkError(kept)).toBe(kept);
  });
});
