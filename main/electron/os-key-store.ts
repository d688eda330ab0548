import { safeStorage } from 'electron';
import type { OsKeyStore } from '../secrets/key-providers.js';

/** Electron's safeStorage (Keychain, DPAPI, libsecret) as the station's secrets key store. */
export const electronKeyStore: OsKeyStore = {
  isAvailable: () => safeStorage.isEncryptionAvailable(),
  encryptString: (text) => safeStorage.encryptString(text),
  decryptString: (data) => safeStorage.decryptString(data),
};
