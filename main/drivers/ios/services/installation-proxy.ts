import type { PlistDict, ServiceConnection } from '../ios-link.js';
import { isPlistDict, plistDictField, plistInteger, plistString } from '../plist-codec.js';

/**
 * com.apple.mobile.installation_proxy (libimobiledevice src/installation_proxy.c, pymobiledevice3
 * services/installation_proxy.py): a command, then answers until `Status: Complete` or `Error`.
 *
 * Written here rather than taken from appium-ios-device: its InstallationProxyService builds its own
 * reader on a socket (a second reader on the stream our ServiceConnection already frames), polls a
 * queue every 50 ms, hands Install's PercentComplete messages back only at the end (no progress),
 * and notices an unplugged device only after its 60 s timeout. Over our PlistChannel each answer
 * arrives as it comes, and a closed connection fails the wait at once.
 */
export const INSTALLATION_PROXY_SERVICE = 'com.apple.mobile.installation_proxy';

/** What the device said when a command failed: `error` is its code word (ApplicationVerificationFailed, ...). */
export class InstallProxyError extends Error {
  override name = 'InstallProxyError';
  constructor(
    readonly command: string,
    readonly error: string,
    readonly description: string | null,
  ) {
    super(`installation_proxy ${command}: ${error}${description ? ` (${description})` : ''}`);
  }

  get reason(): string {
    return this.description ? `${this.error}: ${this.description}` : this.error;
  }
}

export interface InstalledApp {
  bundleId: string;
  /** What the library calls the version: CFBundleShortVersionString, else CFBundleVersion (main/library/ipa-reader.ts). */
  version: string | null;
  displayName: string | null;
}

const RETURN_ATTRIBUTES = ['CFBundleIdentifier', 'CFBundleShortVersionString', 'CFBundleVersion', 'CFBundleDisplayName', 'CFBundleName'];

function installedApp(info: PlistDict, bundleId: string | null): InstalledApp | null {
  const id = plistString(info, 'CFBundleIdentifier') ?? bundleId;
  if (!id) return null;
  return {
    bundleId: id,
    version: plistString(info, 'CFBundleShortVersionString') ?? plistString(info, 'CFBundleVersion'),
    displayName: plistString(info, 'CFBundleDisplayName') ?? plistString(info, 'CFBundleName'),
  };
}

export class InstallationProxyClient {
  constructor(
    private readonly conn: ServiceConnection,
    private readonly signal: AbortSignal,
  ) {}

  /** Installs a package uploaded to the device (e.g. "PublicStaging/x.ipa"), reporting PercentComplete as it comes. */
  async install(packagePath: string, onPercent: (percent: number) => void): Promise<void> {
    await this.conn.plist.send({ Command: 'Install', PackagePath: packagePath, ClientOptions: {} });
    await this.untilComplete('Install', (answer) => {
      const percent = plistInteger(answer, 'PercentComplete');
      if (percent !== null) onPercent(Math.max(0, Math.min(100, percent)));
    });
  }

  /** The user's apps (Browse with ApplicationType User). */
  async browse(): Promise<InstalledApp[]> {
    await this.conn.plist.send({ Command: 'Browse', ClientOptions: { ApplicationType: 'User', ReturnAttributes: RETURN_ATTRIBUTES } });
    const apps: InstalledApp[] = [];
    await this.untilComplete('Browse', (answer) => {
      const list = answer['CurrentList'];
      if (!Array.isArray(list)) return;
      for (const info of list) {
        const app = isPlistDict(info) ? installedApp(info, null) : null;
        if (app) apps.push(app);
      }
    });
    return apps;
  }

  /** The given apps that are installed, by bundle id (absent ones are left out). */
  async lookup(bundleIds: readonly string[]): Promise<Map<string, InstalledApp>> {
    await this.conn.plist.send({ Command: 'Lookup', ClientOptions: { BundleIDs: [...bundleIds], ReturnAttributes: RETURN_ATTRIBUTES } });
    const found = new Map<string, InstalledApp>();
    await this.untilComplete('Lookup', (answer) => {
      const result = plistDictField(answer, 'LookupResult');
      if (!result) return;
      for (const [id, info] of Object.entries(result)) {
        const app = isPlistDict(info) ? installedApp(info, id) : null;
        if (app) found.set(id, app);
      }
    });
    return found;
  }

  close(): void {
    this.conn.close();
  }

  private async untilComplete(command: string, onAnswer: (answer: PlistDict) => void): Promise<void> {
    for (;;) {
      const answer = await this.conn.plist.receive(this.signal);
      const error = plistString(answer, 'Error');
      if (error) throw new InstallProxyError(command, error, plistString(answer, 'ErrorDescription'));
      onAnswer(answer);
      // Lookup answers in one message that may carry no Status on older iOS.
      if (plistString(answer, 'Status') === 'Complete' || (command === 'Lookup' && answer['LookupResult'] !== undefined && !answer['Status'])) return;
    }
  }
}
