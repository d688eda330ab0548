import { IosLinkError, type PlistDict } from '../ios-link.js';
import { plistData, plistString } from '../plist-codec.js';

/**
 * A pair record as usbmuxd keeps it (the keys libimobiledevice and Apple's tools use), so
 * idevicepair and Xcode read ours and we read theirs. Certificates and keys are PEM bytes.
 */
export interface PairRecord {
  deviceCertificate: Buffer;
  hostCertificate: Buffer;
  hostPrivateKey: Buffer;
  rootCertificate: Buffer;
  rootPrivateKey: Buffer;
  hostId: string;
  systemBuid: string;
  /** The device's keybag for this host, returned by Pair; null in records made by tools that dropped it. */
  escrowBag: Buffer | null;
  wifiMacAddress: string | null;
}

export function pairRecordToPlist(record: PairRecord): PlistDict {
  return {
    DeviceCertificate: record.deviceCertificate,
    HostCertificate: record.hostCertificate,
    HostPrivateKey: record.hostPrivateKey,
    RootCertificate: record.rootCertificate,
    RootPrivateKey: record.rootPrivateKey,
    HostID: record.hostId,
    SystemBUID: record.systemBuid,
    ...(record.escrowBag ? { EscrowBag: record.escrowBag } : {}),
    ...(record.wifiMacAddress ? { WiFiMACAddress: record.wifiMacAddress } : {}),
  };
}

/** What the device is shown in Pair: the certificates and ids, never a private key. */
export function pairRequestRecord(record: PairRecord): PlistDict {
  return {
    DeviceCertificate: record.deviceCertificate,
    HostCertificate: record.hostCertificate,
    RootCertificate: record.rootCertificate,
    HostID: record.hostId,
    SystemBUID: record.systemBuid,
    ...(record.wifiMacAddress ? { WiFiMACAddress: record.wifiMacAddress } : {}),
  };
}

/** Reads a stored record; one without the host's certificate and key cannot start a session and counts as none. */
export function pairRecordFromPlist(dict: PlistDict, udid: string): PairRecord {
  const need = (key: string): Buffer => {
    const value = plistData(dict, key);
    if (!value) throw new IosLinkError('not-paired', `the pair record of ${udid} has no ${key}`, `PairRecordWithout${key}`);
    return value;
  };
  const hostId = plistString(dict, 'HostID');
  const systemBuid = plistString(dict, 'SystemBUID');
  if (!hostId || !systemBuid) throw new IosLinkError('not-paired', `the pair record of ${udid} has no HostID or SystemBUID`, 'PairRecordWithoutHostID');
  return {
    deviceCertificate: plistData(dict, 'DeviceCertificate') ?? Buffer.alloc(0),
    hostCertificate: need('HostCertificate'),
    hostPrivateKey: need('HostPrivateKey'),
    rootCertificate: plistData(dict, 'RootCertificate') ?? Buffer.alloc(0),
    rootPrivateKey: plistData(dict, 'RootPrivateKey') ?? Buffer.alloc(0),
    hostId,
    systemBuid,
    escrowBag: plistData(dict, 'EscrowBag'),
    wifiMacAddress: plistString(dict, 'WiFiMACAddress'),
  };
}
