import type { SecretValue } from '../driver.js';
import { stepFailed } from '../step-errors.js';

/**
 * The Wi-Fi password a step names: a station secret of kind wifi; null for an open network. A
 * missing name, secret or the wrong kind is a blueprint or station mistake: not worth retrying.
 */
export async function wifiPassword(
  secrets: { secret?(name: string): Promise<SecretValue> },
  ssid: string,
  security: 'open' | 'wpa2' | 'wpa3',
  secretName: string | undefined,
): Promise<string | null> {
  if (security === 'open') return null;
  if (!secretName) throw stepFailed('android.wifi-no-secret', { ssid }, false);
  if (!secrets.secret) throw stepFailed('secret.missing', { name: secretName }, false);
  const value = await secrets.secret(secretName);
  if (value.kind !== 'wifi') throw stepFailed('secret.wrong-kind', { name: secretName, kind: value.kind, expected: 'wifi' }, false);
  return value.password;
}
