import { describe, expect, it } from 'vitest';
import { message } from '../../shared/messages/catalogue.js';
import { readEventMessage, storedEventMessage } from '../../main/pipeline/step-event-text.js';
import { SecretRedactor } from '../../main/secrets/secret-redactor.js';
import { secretTexts } from '../../main/secrets/secret-types.js';

// A Wi-Fi password with the characters JSON escapes: the QR payload holds it as JSON, and the
// stored step event holds that payload inside its own JSON, so it reads escaped twice there.
const PASSWORD = 'Sch00l "Netz" \\ 2024';

describe('secret redactor', () => {
  it('hides a password inside a QR payload inside a stored step event message', () => {
    const redactor = new SecretRedactor();
    redactor.remember('wifi-school', secretTexts({ kind: 'wifi', password: PASSWORD }));
    const payload = JSON.stringify({ 'android.app.extra.PROVISIONING_WIFI_PASSWORD': PASSWORD });
    const stored = storedEventMessage(message('android.qr-scan', { dpc: 'de.benchline.mdm', payload }))!;
    const redacted = redactor.redact(stored);

    const payloadParam = readEventMessage(redacted).text?.params?.['payload'];
    expect(typeof payloadParam).toBe('string');
    const shown = JSON.parse(payloadParam as string) as Record<string, string>;
    expect(shown['android.app.extra.PROVISIONING_WIFI_PASSWORD']).toBe('[secret wifi-school]');
    expect(readEventMessage(redacted).message).not.toContain('Sch00l');
    // Plain text and single JSON (a log field) as before.
    expect(redactor.redact(`psk ${PASSWORD}`)).toBe('psk [secret wifi-school]');
    expect(redactor.redact(payload)).not.toContain('Sch00l');
  });
});
