// The Electron shell without an Electron binary: the app protocol and the IPC bridge are plain
// modules; main.ts runs against a stand-in for 'electron' (the real package would try to download
// its binary); the preload is bundled exactly as `npm run build:preload` does and run the way a
// sandboxed preload runs: as one CommonJS file whose only require() is 'electron'.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { RENDERER_CSP } from '../../main/api/station-http-server.js';
import { isAppUrl, serveAppRequest } from '../../main/electron/app-protocol.js';
import { CALL_CHANNEL, EVENT_CHANNEL, SAVE_FILE_CHANNEL, type BridgeReply } from '../../main/electron/bridge-channels.js';
import type { BenchlineBridge } from '../../main/electron/preload-api.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const resourcesDir = path.join(repoRoot, 'resources');
const tmpDirs: string[] = [];
const tmp = (prefix: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `benchline-${prefix}-`));
  tmpDirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function makeRendererDir(): string {
  const dir = tmp('renderer');
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Benchline</title><script type="module" src="/assets/app.js"></script>');
  fs.writeFileSync(path.join(dir, 'assets', 'app.js'), 'console.log(1)');
  fs.writeFileSync(path.join(path.dirname(dir), `${path.basename(dir)}-secret.txt`), 'secret');
  return dir;
}

// ---- a stand-in for the 'electron' module -----------------------------------------------------

// The stand-in is handed to main.ts through vi.mock, which does not type-check it against Electron:
// these types describe only what the tests read back.
type Listener = (...args: unknown[]) => unknown;
interface FakeWindowOptions {
  webPreferences: Record<string, unknown>;
  [option: string]: unknown;
}
interface FakeSaveDialogOptions {
  defaultPath: string;
  filters?: { name: string; extensions: string[] }[];
}

/** The result of an IPC reply that must have succeeded. */
function okResult<T>(reply: unknown): T {
  const r = reply as BridgeReply;
  expect(r).toMatchObject({ ok: true });
  return (r as { result: T }).result;
}

const fake = vi.hoisted(() => {
  class Emitter {
    listeners = new Map<string, Listener[]>();
    on(event: string, fn: Listener) {
      this.listeners.set(event, [...(this.listeners.get(event) ?? []), fn]);
      return this;
    }
    once(event: string, fn: Listener) {
      return this.on(event, fn);
    }
    emit(event: string, ...args: unknown[]) {
      for (const fn of this.listeners.get(event) ?? []) fn(...args);
    }
  }
  class FakeWebContents extends Emitter {
    url = '';
    sent: Array<[string, unknown]> = [];
    openHandler: Listener | null = null;
    send(channel: string, payload: unknown) {
      this.sent.push([channel, payload]);
    }
    getURL() {
      return this.url;
    }
    setWindowOpenHandler(fn: Listener) {
      this.openHandler = fn;
    }
  }
  const state = {
    userData: '',
    lock: true,
    app: new Emitter(),
    windows: [] as Array<{ options: FakeWindowOptions; webContents: FakeWebContents }>,
    ipc: new Map<string, Listener>(),
    protocols: new Map<string, Listener>(),
    privileged: [] as unknown[],
    blocked: null as null | { filter: { urls: string[] }; fn: Listener },
    permissionRequest: null as null | Listener,
    quit: 0,
    exits: [] as number[],
    errorBoxes: [] as string[],
    /** What the fake save dialog answers next (a path, or null for Cancel), and what it was asked. */
    saveAnswers: [] as Array<string | null>,
    saveDialogs: [] as Array<{ window: unknown; options: FakeSaveDialogOptions }>,
  };
  class BrowserWindow extends Emitter {
    webContents = new FakeWebContents();
    constructor(readonly options: FakeWindowOptions) {
      super();
      state.windows.push(this);
    }
    async loadURL(url: string) {
      this.webContents.url = url;
    }
    isDestroyed() {
      return false;
    }
    isMinimized() {
      return false;
    }
    restore() {}
    show() {}
    focus() {}
  }
  const electron = {
    app: {
      isPackaged: false,
      on: (event: string, fn: Listener) => state.app.on(event, fn),
      whenReady: async () => {},
      isReady: () => true,
      getPath: (name: string) => (name === 'userData' ? state.userData : os.tmpdir()),
      setName: () => {},
      enableSandbox: () => {},
      requestSingleInstanceLock: () => state.lock,
      quit: () => {
        state.quit++;
      },
      exit: (code: number) => {
        state.exits.push(code);
      },
    },
    BrowserWindow,
    dialog: {
      showErrorBox: (_title: string, message: string) => state.errorBoxes.push(message),
      // Electron's signature: showSaveDialog([window, ]options).
      showSaveDialog: async (...args: unknown[]) => {
        const options = args[args.length - 1] as FakeSaveDialogOptions;
        state.saveDialogs.push({ window: args.length > 1 ? args[0] : null, options });
        const answer = state.saveAnswers.shift() ?? null;
        return answer === null ? { canceled: true, filePath: '' } : { canceled: false, filePath: answer };
      },
    },
    ipcMain: { handle: (channel: string, fn: Listener) => state.ipc.set(channel, fn) },
    Menu: { setApplicationMenu: () => {} },
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown[]) => state.privileged.push(...schemes),
      handle: (scheme: string, fn: Listener) => state.protocols.set(scheme, fn),
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (fn: Listener) => {
          state.permissionRequest = fn;
        },
        setPermissionCheckHandler: () => {},
        webRequest: {
          onBeforeRequest: (filter: { urls: string[] }, fn: Listener) => {
            state.blocked = { filter, fn };
          },
        },
      },
    },
  };
  const reset = () => {
    Object.assign(state, {
      userData: '',
      lock: true,
      app: new Emitter(),
      windows: [],
      ipc: new Map(),
      protocols: new Map(),
      privileged: [],
      blocked: null,
      permissionRequest: null,
      quit: 0,
      exits: [],
      errorBoxes: [],
      saveAnswers: [],
      saveDialogs: [],
    });
  };
  return { state, electron, reset, FakeWebContents };
});

vi.mock('electron', () => fake.electron);

const { runElectronShell, PRELOAD_PATH } = await import('../../main/electron/main.js');

async function until<T>(fn: () => T | undefined | null | false, what: string, timeoutMs = 10_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = fn();
    if (value) return value;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// ---- app:// protocol ----------------------------------------------------------------------------

describe('app://station/ protocol', () => {
  const rendererDir = makeRendererDir();

  it('accepts only the app origin', () => {
    expect(isAppUrl('app://station/')).toBe(true);
    expect(isAppUrl('app://station/assets/app.js?x=1#y')).toBe(true);
    for (const url of [
      'app://evil/',
      'https://station/',
      'file:///index.html',
      'app://station:81/',
      'app://u:p@station/',
      'javascript:alert(1)',
      '',
      null,
      undefined,
    ]) {
      expect(isAppUrl(url), String(url)).toBe(false);
    }
  });

  it('serves the built renderer with the strict CSP', async () => {
    const index = await serveAppRequest(rendererDir, 'app://station/');
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('content-security-policy')).toBe(RENDERER_CSP);
    expect(await index.text()).toContain('<title>Benchline</title>');
    const js = await serveAppRequest(rendererDir, 'app://station/assets/app.js');
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await js.text()).toBe('console.log(1)');
  });

  it('falls back to index.html for client-side routes, 404 for missing files', async () => {
    const route = await serveAppRequest(rendererDir, 'app://station/hub');
    expect(route.status).toBe(200);
    expect(await route.text()).toContain('<title>Benchline</title>');
    expect((await serveAppRequest(rendererDir, 'app://station/assets/missing.js')).status).toBe(404);
  });

  it('never serves anything outside the renderer folder, nor other hosts or methods', async () => {
    const secret = `${path.basename(rendererDir)}-secret.txt`;
    for (const url of [
      `app://station/../${secret}`,
      `app://station/%2e%2e/${secret}`,
      `app://station/assets/..%2f..%2f${secret}`,
      'app://station/..%5c..%5cetc%5cpasswd',
      'app://station/%00',
    ]) {
      const res = await serveAppRequest(rendererDir, url);
      expect(res.status, url).toBeGreaterThanOrEqual(400);
      expect(await res.text(), url).not.toContain('secret');
    }
    expect((await serveAppRequest(rendererDir, 'app://other/index.html')).status).toBe(404);
    expect((await serveAppRequest(rendererDir, 'app://station/', 'POST')).status).toBe(405);
  });
});

// ---- the shell (main.ts) ------------------------------------------------------------------------

describe('Electron main process', () => {
  let stdout: string;
  beforeEach(() => {
    fake.reset();
    fake.state.userData = tmp('userdata');
    stdout = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout += String(chunk);
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    // Quit whatever a test left running, so the core closes.
    fake.state.app.emit('before-quit', { preventDefault() {} });
    await new Promise((r) => setTimeout(r, 50));
  });

  const start = (argv: string[], rendererDir = makeRendererDir()) => runElectronShell(argv, { rendererDir, resourcesDir, version: '0.0.0-test' });

  it('opens a sandboxed, isolated window on app://station/ and the automation API on loopback', async () => {
    await start(['--port', '0', '--simulate', '2', '--sim-speed', '1000']);
    expect(fake.state.exits).toEqual([]);
    expect(fake.state.privileged).toEqual([expect.objectContaining({ scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true }) })]);

    expect(fake.state.windows).toHaveLength(1);
    const win = fake.state.windows[0]!;
    expect(win.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
    expect(win.options.webPreferences.preload).toBe(PRELOAD_PATH);
    expect(path.basename(PRELOAD_PATH)).toBe('preload.cjs');
    expect(win.webContents.url).toBe('app://station/');

    // The data dir is Electron's userData when no --data-dir is given.
    expect(fs.existsSync(path.join(fake.state.userData, 'station.db'))).toBe(true);
    const token = fs.readFileSync(path.join(fake.state.userData, 'api-token'), 'utf8').trim();

    // The same automation API as headless mode, on loopback.
    const url = /browser: (http:\/\/127\.0\.0\.1:\d+\/)#token=/.exec(stdout)?.[1];
    expect(url, stdout).toBeDefined();
    expect(await (await fetch(`${url}api/v1/health`)).json()).toMatchObject({ ok: true, version: '0.0.0-test' });
    expect((await fetch(`${url}api/v1/devices`)).status).toBe(401);
    const devices = (await (await fetch(`${url}api/v1/devices`, { headers: { authorization: `Bearer ${token}` } })).json()) as unknown[];
    expect(devices).toHaveLength(2);

    // The protocol handler serves the renderer with the CSP.
    const handler = fake.state.protocols.get('app')!;
    const res = (await handler(new Request('app://station/'))) as Response;
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(RENDERER_CSP);

    // Remote content and permissions are refused.
    expect(fake.state.blocked!.filter.urls).toEqual(expect.arrayContaining(['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*']));
    const cancel = vi.fn();
    fake.state.blocked!.fn({ url: 'https://example.com/' }, cancel);
    expect(cancel).toHaveBeenCalledWith({ cancel: true });
    const allow = vi.fn();
    fake.state.permissionRequest!(null, 'media', allow);
    expect(allow).toHaveBeenCalledWith(false);
  });

  it('IPC: calls from the app page reach the core through the contract; other senders are refused', async () => {
    await start(['--data-dir', tmp('data'), '--port', '0', '--sim-speed', '1000']);
    const call = fake.state.ipc.get(CALL_CHANNEL)!;
    const fromApp = { senderFrame: { url: 'app://station/' } };

    const snap = okResult(await call(fromApp, { method: 'snapshot', params: {} }));
    expect(snap).toMatchObject({ version: '0.0.0-test', simulator: true, devices: [] });

    expect(await call({ senderFrame: { url: 'https://evil.example/' } }, { method: 'snapshot' })).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    expect(await call({ senderFrame: null }, { method: 'snapshot' })).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    expect(await call(fromApp, { method: 'dropDatabase' })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await call(fromApp, { method: 'plugSimulated', params: { count: 'many' } })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await call(fromApp, 'garbage')).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await call(fromApp, { method: 'runDetail', params: { runId: 'nope' } })).toMatchObject({ ok: false, error: { code: 'not_found' } });

    // Events from the core are pushed to the window.
    const plugged = okResult<{ serials: string[] }>(await call(fromApp, { method: 'plugSimulated', params: { count: 1 } }));
    const wc = fake.state.windows[0]!.webContents;
    type Pushed = { type: string; device?: { serial: string } };
    const pushed = await until(() => wc.sent.find(([ch, e]) => ch === EVENT_CHANNEL && (e as Pushed).type === 'device'), 'a device event');
    expect((pushed[1] as Pushed).device?.serial).toBe(plugged.serials[0]);
  });

  it('saveFile: the main process writes a shift export where the save dialog says, or nothing when cancelled', async () => {
    await start(['--data-dir', tmp('data'), '--port', '0', '--sim-speed', '1000']);
    const call = fake.state.ipc.get(CALL_CHANNEL)!;
    const save = fake.state.ipc.get(SAVE_FILE_CHANNEL)!;
    const fromApp = { senderFrame: { url: 'app://station/' } };
    const shiftId = okResult<{ id: string }>(await call(fromApp, { method: 'openShift', params: { operators: ['Anna'] } })).id;

    // CSV: the dialog offers the HTTP route's file name and a CSV filter; the file has the contract header.
    const outDir = tmp('saved');
    const target = path.join(outDir, 'my-shift.csv');
    fake.state.saveAnswers.push(target);
    const saved = await save(fromApp, { kind: 'shiftExport', params: { shiftId, format: 'csv' } });
    expect(saved).toEqual({ ok: true, result: { saved: target } });
    expect(fake.state.saveDialogs).toHaveLength(1);
    const asked = fake.state.saveDialogs[0]!;
    expect(asked.window).toBe(fake.state.windows[0]); // modal to the station window
    expect(path.basename(asked.options.defaultPath)).toBe(`schicht-${shiftId.replace(/[^A-Za-z0-9._-]/g, '_')}.csv`);
    expect(asked.options.filters).toEqual([{ name: 'CSV', extensions: ['csv'] }]);
    const text = fs.readFileSync(target, 'utf8');
    expect(text.split('\r\n')[0]).toBe(
      'run_id,station,shift_id,slot,serial,family,model,os_version,customer,school,order_id,blueprint,blueprint_version,operator,started_at,finished_at,duration_s,result,failed_step,error,attempts,device_name,asset_tag,unit_id',
    );
    expect(fs.readdirSync(outDir)).toEqual(['my-shift.csv']); // no temp file left behind

    // Excel-de and PDF go through the same writers as the HTTP routes.
    const excel = path.join(outDir, 'excel.csv');
    fake.state.saveAnswers.push(excel);
    expect(await save(fromApp, { kind: 'shiftExport', params: { shiftId: 'current', format: 'csv', dialect: 'excel-de' } })).toEqual({
      ok: true,
      result: { saved: excel },
    });
    expect(fs.readFileSync(excel).subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    // excel-de titles its columns in German (issue 13), in the contract's order.
    expect(fs.readFileSync(excel, 'utf8')).toContain('Lauf-ID;Station;Schicht');
    expect(path.basename(fake.state.saveDialogs[1]!.options.defaultPath)).toMatch(/-excel\.csv$/);
    const pdf = path.join(outDir, 'shift.pdf');
    fake.state.saveAnswers.push(pdf);
    expect(await save(fromApp, { kind: 'shiftExport', params: { shiftId, format: 'pdf' } })).toEqual({ ok: true, result: { saved: pdf } });
    expect(fs.readFileSync(pdf).subarray(0, 5).toString()).toBe('%PDF-');
    expect(fake.state.saveDialogs[2]!.options.filters).toEqual([{ name: 'PDF', extensions: ['pdf'] }]);

    // Cancel: nothing is written.
    const before = fs.readdirSync(outDir).sort();
    fake.state.saveAnswers.push(null);
    expect(await save(fromApp, { kind: 'shiftExport', params: { shiftId, format: 'json' } })).toEqual({ ok: true, result: { cancelled: true } });
    expect(fs.readdirSync(outDir).sort()).toEqual(before);

    // The quarantine list and an unknown unit.
    const quarantine = path.join(outDir, 'q.csv');
    fake.state.saveAnswers.push(quarantine);
    expect(await save(fromApp, { kind: 'quarantineList', params: { dialect: 'excel-de', all: true } })).toEqual({ ok: true, result: { saved: quarantine } });
    expect(path.basename(fake.state.saveDialogs[4]!.options.defaultPath)).toBe('quarantaene.csv');
    const dialogs = fake.state.saveDialogs.length;
    expect(await save(fromApp, { kind: 'unitManifest', params: { unitId: 'nope', format: 'pdf' } })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await save(fromApp, { kind: 'shiftExport', params: { shiftId: 'no-such-shift', format: 'csv' } })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    expect(fake.state.saveDialogs).toHaveLength(dialogs); // nothing to save: no dialog
  });

  it('saveFile: unknown kinds, bad params and other senders are refused without a dialog', async () => {
    await start(['--data-dir', tmp('data'), '--port', '0', '--sim-speed', '1000']);
    const save = fake.state.ipc.get(SAVE_FILE_CHANNEL)!;
    const fromApp = { senderFrame: { url: 'app://station/' } };
    const outDir = tmp('refused');
    fake.state.saveAnswers.push(path.join(outDir, 'x.csv'));

    for (const message of [
      { kind: 'database', params: {} },
      { kind: '__proto__', params: {} },
      { kind: 'shiftExport', params: { shiftId: 'last', format: 'xlsx' } },
      { kind: 'shiftExport', params: { format: 'csv' } },
      { kind: 'shiftExport', params: { shiftId: 'last', format: 'csv', dialect: 'tsv' } },
      { kind: 'shiftExport', params: { shiftId: 'last', format: 'csv', path: '/etc/passwd' } },
      { kind: 'unitManifest', params: { unitId: 'u1', format: 'json' } },
      { kind: 'quarantineList', params: { all: 'yes' } },
      'garbage',
      null,
    ]) {
      expect(await save(fromApp, message), JSON.stringify(message)).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    }
    for (const sender of [{ senderFrame: { url: 'https://evil.example/' } }, { senderFrame: { url: 'app://evil/' } }, { senderFrame: null }]) {
      expect(await save(sender, { kind: 'quarantineList', params: {} })).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    }
    expect(fake.state.saveDialogs).toEqual([]);
    expect(fs.readdirSync(outDir)).toEqual([]);
  });

  it('keeps every web contents on app://station/: no navigation away, no new windows, no webviews', async () => {
    await start(['--data-dir', tmp('data'), '--port', '0', '--headless']);
    expect(fake.state.windows).toHaveLength(0); // --headless inside Electron: no window, the API still serves
    const contents = new fake.FakeWebContents();
    fake.state.app.emit('web-contents-created', {}, contents);
    const navigate = (url: string) => {
      const event = { url, preventDefault: vi.fn() };
      contents.emit('will-frame-navigate', event);
      return event.preventDefault.mock.calls.length > 0;
    };
    expect(navigate('https://example.com/')).toBe(true);
    expect(navigate('file:///etc/passwd')).toBe(true);
    expect(navigate('http://127.0.0.1:4780/')).toBe(true);
    expect(navigate('app://station/hub')).toBe(false);
    const redirect = { url: 'https://example.com/', preventDefault: vi.fn() };
    contents.emit('will-redirect', redirect);
    expect(redirect.preventDefault).toHaveBeenCalled();
    expect(contents.openHandler!({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
    const webview = { preventDefault: vi.fn() };
    contents.emit('will-attach-webview', webview);
    expect(webview.preventDefault).toHaveBeenCalled();
  });

  it('quitting closes the API server and the core before the app exits', async () => {
    const dataDir = tmp('data');
    await start(['--data-dir', dataDir, '--port', '0', '--simulate', '1']);
    const url = /browser: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stdout)![1]!;
    expect((await fetch(`${url}api/v1/health`)).ok).toBe(true);
    const event = { preventDefault: vi.fn() };
    fake.state.app.emit('before-quit', event);
    expect(event.preventDefault).toHaveBeenCalled();
    await until(() => fake.state.quit > 0, 'app.quit after closing');
    await expect(fetch(`${url}api/v1/health`)).rejects.toThrow();
    // The database is closed cleanly: no WAL left behind.
    expect(fs.existsSync(path.join(dataDir, 'station.db-wal'))).toBe(false);
    // A second before-quit (Electron's own, after ours) passes through.
    const again = { preventDefault: vi.fn() };
    fake.state.app.emit('before-quit', again);
    expect(again.preventDefault).not.toHaveBeenCalled();
  });

  it('a second instance hands over to the first and quits', async () => {
    fake.state.lock = false;
    await start(['--port', '0']);
    expect(fake.state.quit).toBe(1);
    expect(fake.state.windows).toHaveLength(0);
    expect(fs.existsSync(path.join(fake.state.userData, 'station.db'))).toBe(false);
  });

  it('bad flags exit 2 with the same message as the CLI', async () => {
    await start(['--port', 'abc']);
    await until(() => fake.state.exits.length > 0, 'app.exit');
    expect(fake.state.exits).toEqual([2]);
    expect(fake.state.errorBoxes).toEqual(['--port must be a number, got "abc".']);
    expect(fake.state.windows).toHaveLength(0);
  });
});

// ---- the preload bundle -------------------------------------------------------------------------

describe('preload bundle (window.benchline)', () => {
  let bundle: string;
  beforeAll(async () => {
    const { build } = await import('vite');
    const outDir = tmp('preload');
    await build({ configFile: path.join(repoRoot, 'main/electron/vite.preload.config.mts'), logLevel: 'silent', build: { outDir } });
    bundle = fs.readFileSync(path.join(outDir, 'preload.cjs'), 'utf8');
  }, 60_000);

  /** Runs the bundle as Electron runs a sandboxed preload: require() knows only 'electron'. */
  function loadPreload(reply: (message: { method?: string; kind?: string }) => unknown) {
    // Filled by the bundle through contextBridge.exposeInMainWorld; the first test checks it holds `benchline` only.
    const exposed = {} as { benchline: BenchlineBridge };
    const listeners = new Map<string, Set<Listener>>();
    const invoked: unknown[] = [];
    const ipcRenderer = {
      invoke: async (channel: string, message: { method?: string; kind?: string }) => {
        invoked.push([channel, message]);
        return reply(message);
      },
      on: (channel: string, fn: Listener) => {
        if (!listeners.has(channel)) listeners.set(channel, new Set());
        listeners.get(channel)!.add(fn);
      },
      removeListener: (channel: string, fn: Listener) => listeners.get(channel)?.delete(fn),
    };
    const required: string[] = [];
    const sandboxRequire = (name: string) => {
      required.push(name);
      if (name === 'electron')
        return { contextBridge: { exposeInMainWorld: (key: string, api: unknown) => ((exposed as Record<string, unknown>)[key] = api) }, ipcRenderer };
      throw new Error(`a sandboxed preload cannot require "${name}"`);
    };
    const module = { exports: {} };
    vm.compileFunction(bundle, ['require', 'module', 'exports'])(sandboxRequire, module, module.exports);
    const emit = (channel: string, payload: unknown) => {
      for (const fn of listeners.get(channel) ?? []) fn({ sender: 'ipc-event-object' }, payload);
    };
    return { exposed, invoked, required, emit, listeners };
  }

  it('is one self-contained CommonJS file that requires only electron', () => {
    const { exposed, required } = loadPreload(() => ({ ok: true, result: null }));
    expect(required).toEqual(['electron']);
    expect(Object.keys(exposed)).toEqual(['benchline']);
    expect(Object.keys(exposed.benchline).sort()).toEqual(['invoke', 'onEvent', 'saveFile']);
  });

  it('invoke: refuses methods outside the contract and invalid params without asking main', async () => {
    const { exposed, invoked } = loadPreload(() => ({ ok: true, result: null }));
    await expect(exposed.benchline.invoke('dropDatabase', {})).rejects.toEqual({ code: 'bad_request', message: 'Unknown method "dropDatabase".' });
    await expect(exposed.benchline.invoke('__proto__', {})).rejects.toMatchObject({ code: 'bad_request' });
    await expect(exposed.benchline.invoke('plugSimulated', { count: 0 })).rejects.toMatchObject({
      code: 'bad_request',
      message: expect.stringContaining('count'),
    });
    await expect(exposed.benchline.invoke('openShift', { operators: [] })).rejects.toMatchObject({ code: 'bad_request' });
    expect(invoked).toEqual([]);
  });

  it('invoke: passes contract calls to main and returns the result or the error', async () => {
    const { exposed, invoked } = loadPreload((m) =>
      m.method === 'snapshot' ? { ok: true, result: { stationId: 's1' } } : { ok: false, error: { code: 'not_found', message: 'No run x.' } },
    );
    await expect(exposed.benchline.invoke('snapshot')).resolves.toEqual({ stationId: 's1' });
    await expect(exposed.benchline.invoke('retryRun', { runId: 'x' })).rejects.toEqual({ code: 'not_found', message: 'No run x.' });
    expect(invoked).toEqual([
      [CALL_CHANNEL, { method: 'snapshot', params: {} }],
      [CALL_CHANNEL, { method: 'retryRun', params: { runId: 'x' } }],
    ]);
  });

  it('saveFile: refuses kinds and params outside the contract without asking main, passes the rest', async () => {
    const { exposed, invoked } = loadPreload((m) =>
      m.kind === 'shiftExport' ? { ok: true, result: { saved: '/home/t/schicht.csv' } } : { ok: false, error: { code: 'not_found', message: 'No unit u9.' } },
    );
    await expect(exposed.benchline.saveFile('database', {})).rejects.toEqual({ code: 'bad_request', message: 'Unknown file kind "database".' });
    await expect(exposed.benchline.saveFile('shiftExport', { shiftId: 'last', format: 'xlsx' })).rejects.toMatchObject({
      code: 'bad_request',
      message: expect.stringContaining('format'),
    });
    expect(invoked).toEqual([]);
    await expect(exposed.benchline.saveFile('shiftExport', { shiftId: 'last', format: 'csv' })).resolves.toEqual({ saved: '/home/t/schicht.csv' });
    await expect(exposed.benchline.saveFile('unitManifest', { unitId: 'u9', format: 'pdf' })).rejects.toEqual({ code: 'not_found', message: 'No unit u9.' });
    expect(invoked).toEqual([
      [SAVE_FILE_CHANNEL, { kind: 'shiftExport', params: { shiftId: 'last', format: 'csv' } }],
      [SAVE_FILE_CHANNEL, { kind: 'unitManifest', params: { unitId: 'u9', format: 'pdf' } }],
    ]);
  });

  it('onEvent: delivers event payloads (never the IPC event object) until unsubscribed', () => {
    const { exposed, emit, listeners } = loadPreload(() => null);
    const seen: unknown[] = [];
    const off = exposed.benchline.onEvent((e: unknown) => seen.push(e));
    emit(EVENT_CHANNEL, { type: 'stats', stats: { done: 1 } });
    off();
    emit(EVENT_CHANNEL, { type: 'stats', stats: { done: 2 } });
    expect(seen).toEqual([{ type: 'stats', stats: { done: 1 } }]);
    expect(listeners.get(EVENT_CHANNEL)?.size).toBe(0);
    expect(() => (exposed.benchline.onEvent as (callback: unknown) => unknown)('not a function')).toThrow();
  });
});
