import type { CommandIo, ShellCommand } from './android-shell.js';
import { dpmCommand, dumpDevicePolicy } from './device-policy.js';
import type { EmulatedTablet, SettingsNamespace, WifiNetwork } from './emulated-tablet.js';
import { NO_SERVICE_STATUS, frameworkUp } from './framework.js';
import { dumpPackage, packageCommand } from './package-manager.js';
import { REAL_SECONDS } from './timings.js';

/** settings, cmd (package, device_policy, settings, wifi), dumpsys (battery, device_policy, package, wifi). */

const NAMESPACES = new Set<string>(['system', 'secure', 'global']);

const settingsCommand: ShellCommand = async (args, io, tablet) => {
  if (!frameworkUp(tablet, io, 'settings')) return NO_SERVICE_STATUS;
  const words = args.filter((a, i) => a !== '--user' && args[i - 1] !== '--user');
  const [verb, ns, key, value] = words;
  if (!verb || !ns || !NAMESPACES.has(ns)) {
    io.err(`Invalid namespace '${ns ?? ''}'\n`);
    return 255;
  }
  const table = tablet.settings[ns as SettingsNamespace];
  await tablet.sleep(REAL_SECONDS.settings);
  switch (verb) {
    case 'get':
      io.out(`${table.get(key ?? '') ?? 'null'}\n`);
      return 0;
    case 'put':
      if (!key || value === undefined) break;
      table.set(key, value);
      return 0;
    case 'delete':
      io.out(`Deleted ${table.delete(key ?? '') ? 1 : 0} rows\n`);
      return 0;
    case 'list':
      for (const [k, v] of [...table].sort(([a], [b]) => a.localeCompare(b))) io.out(`${k}=${v}\n`);
      return 0;
  }
  io.err('Invalid arguments.\n');
  return 255;
};

const SECURITY_NAMES: Record<WifiNetwork['security'], string> = { open: 'open', owe: 'owe', wpa2: 'wpa2-psk', wpa3: 'wpa3-sae' };

function connectNetwork(args: string[], io: CommandIo, tablet: EmulatedTablet): number {
  const [ssid, security, passphrase] = args;
  if (!ssid || !security || !(security in SECURITY_NAMES)) {
    io.err(`Error: Invalid argument ${security ?? ''}\n`);
    return 255;
  }
  const needsPassphrase = security === 'wpa2' || security === 'wpa3';
  if (needsPassphrase && (!passphrase || passphrase.length < 8 || passphrase.length > 63)) {
    io.out('Connection failed\n');
    return 0;
  }
  const existing = tablet.wifi.networks.find((n) => n.ssid === ssid);
  const network: WifiNetwork = {
    networkId: existing?.networkId ?? tablet.wifi.networks.length,
    ssid,
    security: security as WifiNetwork['security'],
    passphrase: needsPassphrase ? (passphrase as string) : null,
  };
  tablet.wifi.networks = [...tablet.wifi.networks.filter((n) => n.ssid !== ssid), network];
  tablet.wifi.connectedSsid = null;
  setTimeout(() => {
    if (tablet.wifi.networks.includes(network)) tablet.wifi.connectedSsid = ssid;
  }, tablet.scaled(REAL_SECONDS.wifiAssociate)).unref();
  io.out('Connection initiated \n');
  return 0;
}

const wifiCommand: ShellCommand = async (args, io, tablet) => {
  if (!frameworkUp(tablet, io, 'wifi')) return NO_SERVICE_STATUS;
  const [sub, ...rest] = args;
  if (sub === 'connect-network') return connectNetwork(rest, io, tablet);
  if (sub === 'list-networks') {
    if (!tablet.wifi.networks.length) io.out('No networks\n');
    else {
      io.out('Network Id      SSID                         Security type\n');
      for (const n of tablet.wifi.networks) io.out(`${String(n.networkId).padEnd(12)} ${n.ssid.padEnd(32)} ${SECURITY_NAMES[n.security]}\n`);
    }
    return 0;
  }
  if (sub === 'forget-network') {
    const before = tablet.wifi.networks.length;
    tablet.wifi.networks = tablet.wifi.networks.filter((n) => String(n.networkId) !== rest[0]);
    io.out(tablet.wifi.networks.length < before ? 'Forget successful\n' : 'Forget failed\n');
    return 0;
  }
  if (sub === 'status') {
    io.out(`Wifi is ${tablet.wifi.enabled ? 'enabled' : 'disabled'}\n`);
    io.out(tablet.wifi.connectedSsid ? `Wifi is connected to "${tablet.wifi.connectedSsid}"\n` : 'Wifi is not connected\n');
    return 0;
  }
  io.err(`Unknown command: ${sub ?? ''}\n`);
  return 255;
};

function dumpBattery(io: CommandIo, tablet: EmulatedTablet): number {
  const level = tablet.batteryLevel();
  const status = tablet.charging ? (level >= 100 ? 5 : 2) : 3;
  io.out(
    `Current Battery Service state:\n  AC powered: false\n  USB powered: ${tablet.charging}\n  Wireless powered: false\n  Dock powered: false\n` +
      `  Max charging current: 500000\n  Max charging voltage: 5000000\n  Charge counter: ${level * 70000}\n  status: ${status}\n  health: 2\n  present: true\n` +
      `  level: ${level}\n  scale: 100\n  voltage: ${3600 + level * 6}\n  temperature: 265\n  technology: Li-ion\n`,
  );
  return 0;
}

const dumpsysCommand: ShellCommand = async (args, io, tablet) => {
  const [service, ...rest] = args;
  if (!tablet.bootCompleted || !service || !['battery', 'device_policy', 'package', 'wifi'].includes(service)) {
    io.err(`Can't find service: ${service ?? ''}\n`);
    return 0;
  }
  if (service === 'battery') return dumpBattery(io, tablet);
  if (service === 'device_policy') return dumpDevicePolicy(io, tablet);
  if (service === 'package') return dumpPackage(rest[0] ?? '', io, tablet);
  io.out(`Wi-Fi is ${tablet.wifi.enabled ? 'enabled' : 'disabled'}\n`);
  return 0;
};

const CMD_SERVICES: Record<string, ShellCommand> = { package: packageCommand, device_policy: dpmCommand, settings: settingsCommand, wifi: wifiCommand };

const cmdCommand: ShellCommand = async (args, io, tablet) => {
  const [service, ...rest] = args;
  if (service === '-l') {
    io.out(
      `Currently running services:\n${Object.keys(CMD_SERVICES)
        .map((s) => `  ${s}\n`)
        .join('')}`,
    );
    return 0;
  }
  const run = service ? CMD_SERVICES[service] : undefined;
  if (!run || !frameworkUp(tablet, io, service ?? '')) {
    if (!run) io.err(`cmd: Can't find service: ${service ?? ''}\n`);
    return NO_SERVICE_STATUS;
  }
  return run(rest, io, tablet);
};

/** Framework commands; a legacy tablet (before Android 7) has no `cmd`. */
export function systemCommands(legacy: boolean): Record<string, ShellCommand> {
  return { pm: packageCommand, dpm: dpmCommand, settings: settingsCommand, dumpsys: dumpsysCommand, ...(legacy ? {} : { cmd: cmdCommand }) };
}
