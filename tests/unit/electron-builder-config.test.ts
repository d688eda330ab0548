// electron-builder.yml cannot be tried by building a package here (no Electron binary, no
// network), so it is checked against electron-builder's own published JSON schema and with
// electron-builder's own file matcher (the code that decides what goes into the app).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);

interface BuilderConfig {
  appId?: string;
  productName?: string;
  directories?: { output?: string };
  files?: string[];
  asar?: boolean;
  asarUnpack?: string[];
  npmRebuild?: boolean;
  linux?: { target?: Array<string | { target: string }>; maintainer?: string; category?: string; icon?: string; executableName?: string };
  win?: { target?: Array<string | { target: string }>; icon?: string };
  nsis?: { oneClick?: boolean; perMachine?: boolean; installerIcon?: string };
  [key: string]: unknown;
}

const config = YAML.parse(fs.readFileSync(path.join(repoRoot, 'electron-builder.yml'), 'utf8')) as BuilderConfig;
const targetsOf = (t: BuilderConfig['linux'] | BuilderConfig['win']) => (t?.target ?? []).map((x) => (typeof x === 'string' ? x : x.target));

type Filter = (file: string, stat: { isDirectory(): boolean }) => boolean;
const { getFileMatchers } = require('app-builder-lib/out/fileMatcher.js') as {
  getFileMatchers(config: unknown, name: string, dest: string, options: unknown): Array<{ createFilter(): Filter }> | null;
};

/** electron-builder's own filter for `files` or `asarUnpack`, as the Linux packager builds it. */
function builderFilter(name: 'files' | 'asarUnpack'): (rel: string) => boolean {
  const matchers = getFileMatchers(config, name, '/app', {
    macroExpander: (s: string) => s,
    customBuildOptions: config.linux ?? {},
    globalOutDir: path.join(repoRoot, config.directories?.output ?? 'dist'),
    defaultSrc: repoRoot,
  });
  expect(matchers, `${name} has patterns`).not.toBeNull();
  const filter = matchers![0]!.createFilter();
  return (rel) => filter(path.join(repoRoot, rel), { isDirectory: () => false });
}

function walk(dir: string, skip: (rel: string) => boolean, out: string[] = []): string[] {
  for (const entry of fs.readdirSync(path.join(repoRoot, dir), { withFileTypes: true })) {
    const rel = dir ? `${dir}/${entry.name}` : entry.name;
    if (skip(rel)) continue;
    if (entry.isDirectory()) walk(rel, skip, out);
    else out.push(rel);
  }
  return out;
}

describe('electron-builder.yml', () => {
  it("is valid against electron-builder's published schema (app-builder-lib/scheme.json)", () => {
    const schema = JSON.parse(fs.readFileSync(require.resolve('app-builder-lib/scheme.json'), 'utf8')) as object;
    const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
    const validate = ajv.compile(schema);
    const valid = validate(config);
    expect(ajv.errorsText(validate.errors, { separator: '\n' })).toBe('No errors');
    expect(valid).toBe(true);
    // The schema really rejects things: an unknown key and a wrong type fail.
    expect(validate({ ...config, nsiss: {} })).toBe(false);
    expect(validate({ ...config, asarUnpack: 42 })).toBe(false);
  });

  it('names the app and writes packages to a gitignored folder', () => {
    expect(config.appId).toMatch(/^[a-z][a-z0-9-]*(\.[a-z0-9-]+)+$/);
    expect(config.productName).toBe('Benchline');
    const output = config.directories?.output;
    expect(output).toBe('release');
    const ignored = fs
      .readFileSync(path.join(repoRoot, '.gitignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim());
    expect(ignored).toContain(`${output}/`);
  });

  it('builds AppImage and deb for Linux, an assisted per-machine NSIS installer for Windows', () => {
    expect(targetsOf(config.linux)).toEqual(expect.arrayContaining(['AppImage', 'deb']));
    expect(config.linux?.maintainer).toMatch(/.+ <.+@.+>/);
    expect(config.linux?.category).toBeTruthy();
    expect(targetsOf(config.win)).toContain('nsis');
    expect(config.nsis?.oneClick).toBe(false);
    expect(config.nsis?.perMachine).toBe(true);
  });

  it('has the icons it names: a PNG of at least 256 px and an ICO with a 256 px image', () => {
    const pngFile = path.join(repoRoot, config.linux!.icon!);
    const png = fs.readFileSync(pngFile);
    expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
    expect(png.readUInt32BE(16)).toBeGreaterThanOrEqual(256);
    for (const icoPath of [config.win!.icon!, config.nsis!.installerIcon!]) {
      const ico = fs.readFileSync(path.join(repoRoot, icoPath));
      expect(ico.readUInt16LE(2)).toBe(1); // type: icon
      const count = ico.readUInt16LE(4);
      const widths = Array.from({ length: count }, (_, i) => ico.readUInt8(6 + 16 * i) || 256);
      expect(widths).toContain(256);
    }
    expect(path.dirname(config.linux!.icon!)).toBe('resources/icons');
  });

  it('rebuilds native modules for Electron and unpacks them from the asar', () => {
    expect(config.npmRebuild).not.toBe(false);
    expect(config.asar).not.toBe(false);
    const unpacked = builderFilter('asarUnpack');
    for (const file of [
      'node_modules/better-sqlite3/build/Release/better_sqlite3.node',
      'node_modules/better-sqlite3/lib/database.js',
      'node_modules/usb/dist/index.js',
      'node_modules/usb/prebuilds/linux-x64/node.napi.glibc.node',
      'node_modules/@serialport/bindings-cpp/dist/index.js',
      'node_modules/@serialport/bindings-cpp/build/Release/bindings.node',
      'node_modules/some-other-native/build/Release/addon.node',
    ]) {
      expect(unpacked(file), file).toBe(true);
    }
    expect(unpacked('dist/main/electron/main.js')).toBe(false);
    // Every native binary actually installed here is unpacked.
    const natives = walk('node_modules', (rel) => rel.endsWith('/.bin') || rel.endsWith('/.cache')).filter((f) => f.endsWith('.node'));
    expect(natives.some((f) => f.startsWith('node_modules/better-sqlite3/'))).toBe(true);
    expect(natives.filter((f) => !unpacked(f))).toEqual([]);
  });

  it('packs the built app and resources, never sources, tests or source maps', () => {
    const packed = builderFilter('files');
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { main: string };
    expect(pkg.main).toBe('dist/main/electron/main.js');
    for (const file of [
      'package.json',
      pkg.main,
      'dist/main/electron/preload.cjs',
      'dist/main/cli/index.js',
      'dist/shared/contract/station-api.js',
      'dist/renderer/index.html',
      'dist/renderer/assets/index-abc123.js',
      'resources/blueprints/school-ipad.yaml',
      'resources/simulator/profiles.json',
      'resources/icons/icon.png',
    ]) {
      expect(packed(file), file).toBe(true);
    }
    for (const file of [
      'main/electron/main.ts',
      'main/station/station-core.ts',
      'shared/contract/station-api.ts',
      'renderer/index.html',
      'renderer/src/main.tsx',
      'tests/unit/electron-builder-config.test.ts',
      'dist/main/electron/main.js.map',
      'resources/screenshots/station-grid.png',
      'tsconfig.json',
      'README.md',
      '.ci/run',
      'release/linux-unpacked/benchline',
    ]) {
      expect(packed(file), file).toBe(false);
    }
    // Nothing from the source folders of this checkout is packed.
    const sources = ['main', 'renderer', 'shared', 'tests', '.ci'].flatMap((dir) =>
      fs.existsSync(path.join(repoRoot, dir)) ? walk(dir, (rel) => rel.endsWith('node_modules')) : [],
    );
    expect(sources.length).toBeGreaterThan(20);
    expect(sources.filter(packed)).toEqual([]);
  });

  // The one case that needs `npm run build` (npm test builds before vitest). Without a build it
  // skips and says so; in CI, where a build always comes first, a missing build is a failure.
  const built = fs.existsSync(path.join(repoRoot, 'dist/renderer/index.html')) && fs.existsSync(path.join(repoRoot, 'dist/main/electron/preload.cjs'));
  if (!built && !process.env.CI) {
    process.stdout.write('skipping "matches the built main entry, preload and renderer index on disk": no build in dist/ (run npm run build first).\n');
  }
  it.skipIf(!built && !process.env.CI)('matches the built main entry, preload and renderer index on disk (after npm run build)', () => {
    const packed = builderFilter('files');
    const dist = walk('dist', () => false);
    for (const entry of ['dist/main/electron/main.js', 'dist/main/electron/preload.cjs', 'dist/main/cli/index.js', 'dist/renderer/index.html']) {
      expect(dist, entry).toContain(entry);
      expect(packed(entry), entry).toBe(true);
    }
    expect(dist.filter((f) => !f.endsWith('.map') && !packed(f))).toEqual([]);
  });
});
