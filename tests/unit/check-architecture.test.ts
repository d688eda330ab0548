import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkArchitecture, collectSourceFiles, formatViolation, type SourceFile } from '../tools/check-architecture.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const rulesOf = (files: SourceFile[]) => checkArchitecture(files).map((v) => v.rule);
const one = (file: string, text: string) => rulesOf([{ path: file, text }]);

describe('import directions (ARCHITECTURE.md)', () => {
  it('the real tree has no violations', () => {
    const files = collectSourceFiles(repoRoot);
    expect(files.some((f) => f.path === 'main/station/station-core.ts')).toBe(true);
    expect(files.some((f) => f.path.startsWith('shared/'))).toBe(true);
    const violations = checkArchitecture(files);
    if (violations.length > 0) console.error(violations.map(formatViolation).join('\n'));
    expect(violations.map(formatViolation)).toEqual([]);
  });

  it("only main/electron/** imports 'electron'", () => {
    expect(one('main/electron/main.ts', "import { app } from 'electron';")).toEqual([]);
    expect(one('main/electron/preload.ts', "import { contextBridge } from 'electron';")).toEqual([]);
    expect(one('main/station/station-core.ts', "import { app } from 'electron';")).toEqual(['electron-only-in-shell']);
    expect(one('main/cli/index.ts', "const { app } = require('electron/main');")).toEqual(['electron-only-in-shell']);
    expect(one('main/api/x.ts', "const e = await import('electron');")).toEqual(['electron-only-in-shell']);
    expect(one('shared/contract/x.ts', "export { app } from 'electron';")).toEqual(['electron-only-in-shell']);
    expect(one('renderer/src/app.tsx', "import { ipcRenderer } from 'electron';")).toEqual(['electron-only-in-shell']);
  });

  it('the renderer imports neither main/, Node builtins nor native packages', () => {
    expect(one('renderer/src/app.tsx', "import { z } from 'zod';\nimport { stationMethods } from '../../shared/contract/station-api.js';")).toEqual([]);
    expect(one('renderer/src/app.tsx', "import { StationCore } from '../../main/station/station-core.js';")).toEqual(['renderer-not-main']);
    expect(one('renderer/src/api/client.ts', "import type { RunningStation } from '../../../main/cli/station-command.js';")).toEqual(['renderer-not-main']);
    for (const builtin of ['node:fs', 'fs', 'path', 'child_process', 'fs/promises', 'node:crypto', 'os']) {
      expect(one('renderer/src/app.tsx', `import x from '${builtin}';`), builtin).toEqual(['renderer-no-node']);
    }
    for (const pkg of ['better-sqlite3', 'usb', 'serialport', '@serialport/bindings-cpp']) {
      expect(one('renderer/src/app.tsx', `import x from '${pkg}';`), pkg).toEqual(['renderer-no-native']);
    }
    expect(one('renderer/src/env.ts', '/// <reference types="node" />\nexport {};')).toEqual(['renderer-no-node']);
  });

  it("the renderer's build config runs in Node and may use it", () => {
    expect(one('renderer/vite.config.ts', "import { fileURLToPath } from 'node:url';\nimport path from 'node:path';")).toEqual([]);
    expect(one('renderer/vite.config.ts', "import { app } from 'electron';")).toEqual(['electron-only-in-shell']);
  });

  it('shared/ imports neither main/, renderer/ nor Node builtins', () => {
    expect(one('shared/contract/station-api.ts', "import { z } from 'zod';\nimport { RUN_STATES } from './run-state.js';")).toEqual([]);
    expect(one('shared/contract/x.ts', "import { StationCore } from '../../main/station/station-core.js';")).toEqual(['shared-imports-neither']);
    expect(one('shared/contract/x.ts', "import { App } from '../../renderer/src/app.js';")).toEqual(['shared-imports-neither']);
    expect(one('shared/x.ts', "import fs from 'node:fs';")).toEqual(['shared-no-node']);
    expect(one('shared/x.ts', "import path from 'path';")).toEqual(['shared-no-node']);
    expect(one('shared/x.ts', "import Database from 'better-sqlite3';")).toEqual(['shared-no-native']);
  });

  it('main/ never imports renderer/', () => {
    expect(one('main/api/station-http-server.ts', "import { App } from '../../renderer/src/app.js';")).toEqual(['main-not-renderer']);
    expect(one('main/electron/main.ts', "import '../../renderer/src/i18n.js';")).toEqual(['main-not-renderer']);
  });

  it('drivers and the store sit below the pipeline, API, station, CLI and hub', () => {
    for (const layer of ['pipeline/run-controller', 'api/station-methods', 'station/station-core', 'cli/index', 'hub/hub-server']) {
      expect(one('main/drivers/simulated/simulated-driver.ts', `import x from '../../${layer}.js';`), layer).toEqual(['drivers-store-below']);
      expect(one('main/store/station-store.ts', `import x from '../${layer}.js';`), layer).toEqual(['drivers-store-below']);
    }
    expect(one('main/store/station-store.ts', "import { openDatabase } from './database.js';\nimport type { DeviceRecord } from './records.js';")).toEqual([]);
    expect(
      one(
        'main/drivers/simulated/simulated-driver.ts',
        "import type { DeviceDriver } from '../driver.js';\nimport { DeviceGoneError } from '../step-errors.js';",
      ),
    ).toEqual([]);
  });

  it('the pipeline does not know which driver it drives', () => {
    expect(
      one(
        'main/pipeline/run-controller.ts',
        "import type { StepOutcome } from '../drivers/driver.js';\nimport { StepError } from '../drivers/step-errors.js';",
      ),
    ).toEqual([]);
    expect(one('main/pipeline/run-controller.ts', "import { SimulatedDriver } from '../drivers/simulated/simulated-driver.js';")).toEqual([
      'pipeline-driver-agnostic',
    ]);
    expect(one('main/pipeline/run-machine.ts', "export * from '../drivers/ios/ios-driver.js';")).toEqual(['pipeline-driver-agnostic']);
  });

  it("the renderer's floor tabs, one file each", () => {
    const tab = (name: string) => `export function ${name}({ notify }: { notify: Say }) {\n  return <section />;\n}\n`;
    expect(
      one('renderer/src/station/floor/tabs/OrdersTab.tsx', `import { useState } from 'react';\n${tab('OrdersTab')}function AssignRow() {\n  return null;\n}\n`),
    ).toEqual([]);
    expect(one('renderer/src/station/floor/tabs/PackTab.tsx', `function PackTab() {\n  return null;\n}\nexport { PackTab };\n`)).toEqual([]);
    // A second tab in a tab's file, or one declared in the panel or beside it.
    expect(one('renderer/src/station/floor/tabs/OrdersTab.tsx', `${tab('OrdersTab')}${tab('PackTab')}`)).toEqual(['floor-tab-one-per-file']);
    expect(one('renderer/src/station/floor/tabs/OrdersTab.tsx', `${tab('OrdersTab')}const LabelsTab = () => null;\n`)).toEqual(['floor-tab-one-per-file']);
    expect(
      one('renderer/src/station/floor/FloorPanel.tsx', `export function FloorPanel() {\n  return null;\n}\nfunction ExportTab() {\n  return null;\n}\n`),
    ).toEqual(['floor-tab-own-file']);
    expect(one('renderer/src/station/floor/QuarantineSection.tsx', tab('QuarantineTab'))).toEqual(['floor-tab-own-file']);
    // The file is named for its tab, and exports it.
    expect(one('renderer/src/station/floor/tabs/OrdersTab.tsx', 'function OrdersTab() {\n  return null;\n}\n')).toEqual(['floor-tab-one-per-file']);
    expect(one('renderer/src/station/floor/tabs/OrdersTab.tsx', tab('PackTab'))).toEqual(['floor-tab-one-per-file', 'floor-tab-one-per-file']);
    // Elsewhere a *Tab name is nobody's business.
    expect(one('renderer/src/hub/components/Dashboard.tsx', `${tab('OrdersTab')}${tab('PackTab')}`)).toEqual([]);
    const [v] = checkArchitecture([{ path: 'renderer/src/station/floor/FloorPanel.tsx', text: 'import x from "y";\n\nfunction OrdersTab() {}\n' }]);
    expect(formatViolation(v!)).toBe(
      'renderer/src/station/floor/FloorPanel.tsx:3: the floor tab OrdersTab belongs in its own file renderer/src/station/floor/tabs/OrdersTab.tsx [floor-tab-own-file]',
    );
  });

  it('reports file, line and rule', () => {
    const [v] = checkArchitecture([{ path: 'shared/a.ts', text: "import { z } from 'zod';\n\nimport fs from 'node:fs';\n" }]);
    expect(v).toMatchObject({ file: 'shared/a.ts', line: 3, specifier: 'node:fs', rule: 'shared-no-node' });
    expect(formatViolation(v!)).toBe('shared/a.ts:3: imports "node:fs": shared/ runs on both sides and must not import the Node builtin "fs" [shared-no-node]');
  });
});

// Station split (issue 9): SQL stays in the store, and drivers stay below the station.
describe('SQL only in the store modules', () => {
  it('the store and the hub may hold SQL', () => {
    expect(one('main/store/order-store.ts', "const s = db.prepare('SELECT * FROM orders WHERE id = ?');")).toEqual([]);
    expect(one('main/hub/ingest/ingest-writer.ts', 'await tx.exec(`INSERT INTO runs (id) VALUES ($1)`);')).toEqual([]);
  });

  it('a statement in a string or template literal elsewhere in main/ is a violation', () => {
    expect(one('main/shifts/shift-service.ts', "const q = 'SELECT name FROM operators WHERE badge = ?';")).toEqual(['sql-only-in-store']);
    expect(one('main/orders/assignment.ts', 'run("INSERT INTO order_serials (serial) VALUES (?)");')).toEqual(['sql-only-in-store']);
    expect(one('main/station/x.ts', 'const q = `UPDATE runs SET state = ${state} WHERE id = ?`;')).toEqual(['sql-only-in-store']);
    expect(one('main/units/packing.ts', 'const q = `DELETE FROM unit_items`;')).toEqual(['sql-only-in-store']);
  });

  it('using the database handle elsewhere in main/ is a violation, other prepare/exec calls are not', () => {
    expect(one('main/station/floor.ts', 'const rows = this.host.store.db.prepare(sql).all(id);')).toEqual(['sql-only-in-store']);
    expect(one('main/cli/x.ts', 'db.transaction(() => write())();')).toEqual(['sql-only-in-store']);
    expect(one('main/cli/x.ts', "db.pragma('journal_mode = WAL');")).toEqual(['sql-only-in-store']);
    expect(one('main/labels/label-graphics.ts', 'const m = /viewBox="0 0 ([\\d.]+)"/.exec(svg);')).toEqual([]);
    expect(one('main/drivers/serial/serial-script.ts', 'const m = pattern.exec(received);')).toEqual([]);
    expect(one('main/units/packing.ts', 'return this.deps.units.transaction(() => pack());')).toEqual([]);
  });

  it('prose that reads like SQL in lower case is not SQL; the renderer and shared/ are not checked', () => {
    expect(one('main/station/x.ts', "throw new Error('select a slot from the list, then update the layout set');")).toEqual([]);
    expect(one('renderer/src/x.ts', "const doc = 'SELECT * FROM runs';")).toEqual([]);
  });

  it('names file, line and the statement', () => {
    const [v] = checkArchitecture([{ path: 'main/station/a.ts', text: "import x from './x.js';\n\nconst q = 'SELECT id FROM runs';\n" }]);
    expect(v).toMatchObject({ file: 'main/station/a.ts', line: 3, rule: 'sql-only-in-store' });
    expect(formatViolation(v!)).toBe(
      'main/station/a.ts:3: SQL "SELECT id FROM": SQL belongs in a store module (main/store/): add a store method [sql-only-in-store]',
    );
  });
});

describe('drivers never import the station', () => {
  it('a driver imports other driver code, the logger, store records and shared/', () => {
    expect(
      one(
        'main/drivers/serial/serial-driver.ts',
        "import type { DeviceDriver } from '../driver.js';\nimport type { Logger } from '../../logging/logger.js';\nimport type { DeviceRecord } from '../../store/records.js';\nimport { serialPortSettings } from '../../../shared/blueprint/schema.js';",
      ),
    ).toEqual([]);
  });

  it("the station's feature folders and the shell are above a driver", () => {
    for (const target of [
      'shifts/operators',
      'orders/assignment',
      'labels/label-printing',
      'units/packing',
      'quarantine/quarantine-service',
      'blueprints/blueprint-catalog',
      'electron/main',
      'app-paths',
    ]) {
      expect(one('main/drivers/ios/ios-driver.ts', `import x from '../../${target}.js';`), target).toEqual(['drivers-never-import-station']);
    }
  });

  it('station, pipeline and API imports are reported once, by drivers-store-below', () => {
    for (const target of ['station/start-station', 'station/device-registry', 'pipeline/run-machine', 'api/station-methods']) {
      expect(one('main/drivers/android/adb-driver.ts', `import x from '../../${target}.js';`), target).toEqual(['drivers-store-below']);
    }
  });
});
