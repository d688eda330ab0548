// The Electron shell: a window onto the same station core that `benchline station --headless` runs.
// Window, preload bridge, app lifecycle; the station itself is plain Node (startStation).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, session, type WebContents } from 'electron';
import { RENDERER_DIR, RESOURCES_DIR } from '../app-paths.js';
import { CliError } from '../cli/cli-error.js';
import { addStationOptions, resolveStationOptions, type StationCommandOptions } from '../cli/station-command.js';
import { startStation, type RunningStation } from '../station/start-station.js';
import { APP_SCHEME, APP_START_URL, isAppUrl, serveAppRequest } from './app-protocol.js';
import { CALL_CHANNEL, EVENT_CHANNEL, SAVE_FILE_CHANNEL } from './bridge-channels.js';
import { handleBridgeCall } from './ipc-bridge.js';
import { electronKeyStore } from './os-key-store.js';
import { handleSaveFile, type ShowSaveDialog } from './save-file.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** Built by `npm run build:preload` (one CommonJS file: sandboxed preloads cannot load modules). */
export const PRELOAD_PATH = path.join(HERE, 'preload.cjs');

/** The web preferences of every station window. Tests assert these; change them only on purpose. */
export function secureWebPreferences(devTools: boolean): Electron.WebPreferences {
  return {
    preload: PRELOAD_PATH,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
    devTools,
  };
}

export interface ShellOverrides {
  /** For tests, which run from source: where the renderer and resources are, and the version. */
  rendererDir?: string;
  resourcesDir?: string;
  version?: string;
}

export interface ShellArgs {
  options: StationCommandOptions;
  /** Switches that are not station flags (Chromium's own, e.g. --no-sandbox); they are ignored. */
  ignored: string[];
}

/** Parses the shell's command line with the same station flags as `benchline station`. */
export function parseShellArgs(argv: readonly string[]): ShellArgs {
  let output = '';
  const command = addStationOptions(new Command('benchline station'))
    .exitOverride()
    .allowUnknownOption()
    .allowExcessArguments()
    .configureOutput({
      writeOut: (s) => {
        output += s;
      },
      writeErr: (s) => {
        output += s;
      },
    });
  try {
    command.parse([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) process.stdout.write(output);
      throw new CliError(err.exitCode === 0 ? '' : output.trim() || err.message, err.exitCode === 0 ? 0 : 2);
    }
    throw err;
  }
  return { options: command.opts<StationCommandOptions>(), ignored: command.args };
}

/** Keeps every web contents on the app's own pages: no navigation away, no new windows, no webviews. */
function harden(contents: WebContents): void {
  contents.on('will-frame-navigate', (event) => {
    if (!isAppUrl(event.url)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => {
    if (!isAppUrl(event.url)) event.preventDefault();
  });
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

/** Starts the shell; resolves once the station is serving and the window (unless --headless) is open. */
export async function runElectronShell(argv: readonly string[], overrides: ShellOverrides = {}): Promise<void> {
  // Both must happen before the app is ready.
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } }]);
  app.enableSandbox();
  if (!app.isPackaged) app.setName('Benchline');

  if (!app.requestSingleInstanceLock()) {
    process.stderr.write('Benchline is already running on this workstation; switching to its window.\n');
    app.quit();
    return;
  }

  let station: RunningStation | null = null;
  let window: BrowserWindow | null = null;
  let stopped = false;
  let stopping = false;

  const fail = (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    const exitCode = err instanceof CliError ? err.exitCode : 1;
    if (exitCode !== 0) {
      process.stderr.write(`benchline: ${message}\n`);
      if (app.isReady()) dialog.showErrorBox('Benchline cannot start', message);
    }
    stopped = true;
    void (station?.close() ?? Promise.resolve()).finally(() => app.exit(exitCode));
  };

  const showWindow = () => {
    if (!window || window.isDestroyed()) return;
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
  };

  app.on('second-instance', showWindow);
  app.on('web-contents-created', (_event, contents) => harden(contents));
  app.on('window-all-closed', () => app.quit());
  // Quitting closes the station cleanly (API server, then core: runs checkpointed, SQLite closed).
  app.on('before-quit', (event) => {
    if (stopped || !station) return;
    event.preventDefault();
    if (stopping) return;
    stopping = true;
    station.logger.log('info', 'stopping: the app is quitting');
    void station
      .close()
      .catch((err: unknown) => process.stderr.write(`benchline: closing the station failed: ${(err as Error).message}\n`))
      .finally(() => {
        stopped = true;
        app.quit();
      });
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => app.quit());

  let args: ShellArgs;
  try {
    args = parseShellArgs(argv);
    if (args.ignored.length > 0) process.stderr.write(`benchline: ignoring ${args.ignored.join(' ')} (not a station flag)\n`);
  } catch (err) {
    fail(err);
    return;
  }

  try {
    await app.whenReady();
    const options = resolveStationOptions(args.options, app.getPath('userData'));
    const rendererDir = overrides.rendererDir ?? RENDERER_DIR;
    station = await startStation({
      ...options,
      rendererDir,
      osKeyStore: electronKeyStore,
      ...(overrides.resourcesDir ? { resourcesDir: overrides.resourcesDir } : {}),
      ...(overrides.version ? { version: overrides.version } : {}),
    });
    const running = station;
    const { core, logger, url, token, dataDir } = running;
    process.stdout.write(
      `Benchline station ${core.stationId} ready\n  UI:   ${APP_START_URL} (window); browser: ${url}#token=${token}\n  API:  ${url}api/v1/ (Bearer token in ${path.join(dataDir, 'api-token')})\n  Data: ${dataDir}\n`,
    );
    if (!fs.existsSync(path.join(rendererDir, 'index.html'))) logger.log('warn', `no built renderer in ${rendererDir}: run "npm run build"`);

    const ses = session.defaultSession;
    ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
    ses.setPermissionCheckHandler(() => false);
    // No remote content: the window only ever loads app://station/ (the CSP says the same).
    ses.webRequest.onBeforeRequest({ urls: ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*', 'file://*/*'] }, (_details, callback) =>
      callback({ cancel: true }),
    );
    protocol.handle(APP_SCHEME, (request) => serveAppRequest(rendererDir, request.url, request.method));

    ipcMain.handle(CALL_CHANNEL, (event, message: unknown) => handleBridgeCall(running.core, event.senderFrame?.url, message, logger));
    // Downloads in the window: the save dialog is modal to the station window when there is one.
    const showSaveDialog: ShowSaveDialog = (opts) => (window && !window.isDestroyed() ? dialog.showSaveDialog(window, opts) : dialog.showSaveDialog(opts));
    ipcMain.handle(SAVE_FILE_CHANNEL, (event, message: unknown) =>
      handleSaveFile(running.core, event.senderFrame?.url, message, showSaveDialog, logger, app.getPath('downloads')),
    );
    core.onEvent((event) => {
      if (window && !window.isDestroyed() && isAppUrl(window.webContents.getURL())) window.webContents.send(EVENT_CHANNEL, event);
    });

    if (args.options.headless) return;
    if (app.isPackaged) Menu.setApplicationMenu(null);
    const icon = path.join(overrides.resourcesDir ?? RESOURCES_DIR, 'icons', 'icon.png');
    window = new BrowserWindow({
      width: 1600,
      height: 1000,
      minWidth: 800,
      minHeight: 600,
      show: false,
      title: 'Benchline',
      backgroundColor: '#101418',
      autoHideMenuBar: true,
      ...(fs.existsSync(icon) ? { icon } : {}),
      webPreferences: secureWebPreferences(!app.isPackaged),
    });
    window.once('ready-to-show', showWindow);
    window.on('closed', () => {
      window = null;
    });
    window.loadURL(APP_START_URL).catch((err: unknown) => logger.log('error', `the window could not load the UI: ${(err as Error).message}`));
  } catch (err) {
    fail(err);
  }
}

// Run only inside Electron (tests import this module with a stand-in for 'electron').
if (process.versions.electron) void runElectronShell(process.argv.slice(process.defaultApp ? 2 : 1));
