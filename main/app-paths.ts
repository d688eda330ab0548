import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The app's root: the repository (or the packaged app), two levels above dist/main/. */
export const APP_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RESOURCES_DIR = path.join(APP_ROOT, 'resources');
export const RENDERER_DIR = path.join(APP_ROOT, 'dist', 'renderer');

export function appVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(APP_ROOT, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** Where a station keeps its data when no --data-dir is given: the platform's per-user data folder. */
export function defaultDataDir(role: 'station' | 'hub'): string {
  if (process.platform === 'win32') return path.join(process.env.APPDATA ?? path.join(os.homedir(), 'AppData', 'Roaming'), 'Benchline', role);
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Application Support', 'Benchline', role);
  return path.join(process.env.XDG_DATA_HOME ?? path.join(os.homedir(), '.local', 'share'), 'benchline', role);
}

/**
 * The Electron binary, if this install has one. `require('electron')` would try to download it,
 * so this reads the path file its installer writes instead.
 */
export function electronBinary(): string | null {
  const pkgDir = path.join(APP_ROOT, 'node_modules', 'electron');
  try {
    const rel = fs.readFileSync(path.join(pkgDir, 'path.txt'), 'utf8').trim();
    const bin = path.join(pkgDir, 'dist', rel);
    return fs.existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}
