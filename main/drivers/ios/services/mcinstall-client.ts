import { IosLinkError, type PlistDict, type ServiceConnection, type SupervisorIdentity } from '../ios-link.js';
import { signSupervisorChallenge, supervisorCertificateDer } from '../lockdown/supervisor-signature.js';
import { encodePlistXml, isPlistDict, plistData, plistDictField, plistInteger, plistString } from '../plist-codec.js';

/**
 * com.apple.mobile.MCInstall (pymobiledevice3 services/mobile_config.py, go-ios ios/mcinstall/):
 * one request at a time, `RequestType` in, `Status: Acknowledged` out, or an `ErrorChain` of
 * {ErrorDomain, ErrorCode, LocalizedDescription}. Escalation lasts as long as the connection.
 */
export const MCINSTALL_SERVICE = 'com.apple.mobile.MCInstall';

/** "A cloud configuration is already present": supervision works only in Setup Assistant (go-ios #695). */
export const CLOUD_CONFIGURATION_PRESENT = 14002;

export interface McErrorEntry {
  domain: string | null;
  code: number | null;
  description: string | null;
}

/** The device refused a request; `reason` is its own words for the technician. */
export class McInstallError extends Error {
  override name = 'McInstallError';
  constructor(
    readonly request: string,
    readonly chain: readonly McErrorEntry[],
    readonly status: string | null,
  ) {
    super(`MCInstall ${request} refused: ${describeChain(chain, status)}`);
  }

  /** The first (outermost) error code, which is the one the public tools match (14002). */
  get code(): number | null {
    return this.chain[0]?.code ?? null;
  }

  get reason(): string {
    return describeChain(this.chain, this.status);
  }
}

function describeChain(chain: readonly McErrorEntry[], status: string | null): string {
  const first = chain[0];
  if (!first) return status ? `Status ${status}` : 'no status';
  const where = [first.domain, first.code].filter((v) => v !== null).join(' ');
  return first.description ? `${first.description}${where ? ` (${where})` : ''}` : where || 'unknown error';
}

function errorChain(answer: PlistDict): McErrorEntry[] {
  const chain = answer['ErrorChain'];
  if (!Array.isArray(chain)) return [];
  return chain.filter(isPlistDict).map((entry) => ({
    domain: plistString(entry, 'ErrorDomain'),
    code: plistInteger(entry, 'ErrorCode'),
    description: plistString(entry, 'LocalizedDescription') ?? plistString(entry, 'USEnglishDescription'),
  }));
}

/** One profile as GetProfileList lists it. */
export interface DeviceProfile {
  identifier: string;
  displayName: string | null;
  uuid: string | null;
  version: number | null;
  /** False while the profile waits for the user's approval in Settings (ProfileManifest IsActive). */
  active: boolean;
}

export interface EraseOptions {
  preserveDataPlan: boolean;
  disallowProximitySetup: boolean;
}

export class McInstallClient {
  constructor(
    private readonly conn: ServiceConnection,
    private readonly signal: AbortSignal,
  ) {}

  async flush(): Promise<void> {
    await this.request('Flush');
  }

  async hello(): Promise<void> {
    await this.request('HelloHostIdentifier');
  }

  async profiles(): Promise<DeviceProfile[]> {
    const answer = await this.request('GetProfileList');
    const ordered = Array.isArray(answer['OrderedIdentifiers']) ? answer['OrderedIdentifiers'] : [];
    const manifest = plistDictField(answer, 'ProfileManifest') ?? {};
    const metadata = plistDictField(answer, 'ProfileMetadata') ?? {};
    return ordered
      .filter((id): id is string => typeof id === 'string')
      .map((identifier) => {
        const state = isPlistDict(manifest[identifier]) ? manifest[identifier] : {};
        const meta = isPlistDict(metadata[identifier]) ? metadata[identifier] : {};
        return {
          identifier,
          displayName: plistString(meta, 'PayloadDisplayName'),
          uuid: plistString(meta, 'PayloadUUID'),
          version: plistInteger(meta, 'PayloadVersion'),
          // A profile listed without IsActive is taken as in force (older iOS leaves it out).
          active: state['IsActive'] !== false,
        };
      });
  }

  async installProfile(payload: Buffer): Promise<void> {
    await this.request('InstallProfile', { Payload: payload });
  }

  /** Installs without asking the user; needs `escalate` on this connection first. */
  async installProfileSilent(payload: Buffer): Promise<void> {
    await this.request('InstallProfileSilent', { Payload: payload });
  }

  /** Proves the supervision identity: the device's challenge comes back signed (PKCS#7), then keybag migration. */
  async escalate(identity: SupervisorIdentity): Promise<void> {
    const answer = await this.request('Escalate', { SupervisorCertificate: supervisorCertificateDer(identity) });
    const challenge = plistData(answer, 'Challenge');
    if (!challenge) throw new IosLinkError('protocol', 'MCInstall Escalate: the answer carries no Challenge', 'no Challenge');
    await this.request('EscalateResponse', { SignedRequest: signSupervisorChallenge(challenge, identity) });
    await this.request('ProceedWithKeybagMigration');
  }

  /** RemoveProfile names the profile by a small plist of its identity, as pymobiledevice3 sends it. */
  async removeProfile(profile: DeviceProfile): Promise<void> {
    const identity: PlistDict = { PayloadType: 'Configuration', PayloadIdentifier: profile.identifier };
    if (profile.uuid !== null) identity['PayloadUUID'] = profile.uuid;
    if (profile.version !== null) identity['PayloadVersion'] = profile.version;
    await this.request('RemoveProfile', { ProfileIdentifier: encodePlistXml(identity) });
  }

  /** The stored cloud configuration, or null when the device has none. */
  async cloudConfiguration(): Promise<PlistDict | null> {
    const answer = await this.request('GetCloudConfiguration');
    const config = plistDictField(answer, 'CloudConfiguration');
    return config && Object.keys(config).length > 0 ? config : null;
  }

  async setCloudConfiguration(configuration: PlistDict): Promise<void> {
    await this.request('SetCloudConfiguration', { CloudConfiguration: configuration });
  }

  /**
   * Starts the erase. The device may drop the connection before it answers (pymobiledevice3
   * ignores that): 'gone' then means the erase is under way.
   */
  async eraseDevice(options: EraseOptions): Promise<'acknowledged' | 'gone'> {
    try {
      await this.request('EraseDevice', { PreserveDataPlan: options.preserveDataPlan, DisallowProximitySetup: options.disallowProximitySetup });
      return 'acknowledged';
    } catch (err) {
      if (err instanceof IosLinkError && err.kind === 'device-gone') return 'gone';
      throw err;
    }
  }

  /** Waits until the device closes the connection (it left the bus: erase); rejects with IosLinkError('device-gone') then. */
  async untilClosed(): Promise<never> {
    for (;;) await this.conn.plist.receive(this.signal);
  }

  close(): void {
    this.conn.close();
  }

  private async request(type: string, fields: PlistDict = {}): Promise<PlistDict> {
    await this.conn.plist.send({ RequestType: type, ...fields });
    const answer = await this.conn.plist.receive(this.signal);
    const status = plistString(answer, 'Status');
    if (status !== 'Acknowledged') throw new McInstallError(type, errorChain(answer), status);
    return answer;
  }
}
