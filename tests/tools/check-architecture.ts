// Import-direction check (ARCHITECTURE.md "Dependencies point one way"), in the manner of VS Code's
// layer check: every import, export-from, require() and import() in main/, renderer/ and shared/ is
// read with the TypeScript compiler's own pre-processor and tested against the rules below. Two rules
// read the code itself (issue 9, one home per concept): SQL only in the store modules
// (checkSqlOnlyInStore), and the floor panel's tabs, one file each (checkFloorTabs).
//
//   node tests/tools/check-architecture.ts        (npm run check:architecture)  exit 1 on a violation
//
// Plain erasable TypeScript, so Node 22 runs it directly; the unit test imports it.
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export interface SourceFile {
  /** Repository-relative, with forward slashes: main/pipeline/run-controller.ts */
  path: string;
  text: string;
}

export interface Violation {
  file: string;
  line: number;
  specifier: string;
  rule: string;
  message: string;
}

export const SCANNED_ROOTS = ['main', 'renderer', 'shared'] as const;
const SCANNED_EXTENSIONS = ['.ts', '.tsx', '.cts', '.mts', '.mjs'];
const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.git']);

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, m.split('/')[0] as string]));
/** Packages that only run in Node (native code or Electron's main side). */
const NATIVE_PACKAGES = ['better-sqlite3', 'usb', 'serialport', '@serialport/', 'electron'];
/** The layers of main/ that drivers and the store sit below. */
const ABOVE_DRIVERS_AND_STORE = ['main/pipeline', 'main/api', 'main/station', 'main/cli', 'main/hub'];
/** What the pipeline may know of the drivers: the interface and the step errors, not a driver. */
const PIPELINE_MAY_IMPORT_FROM_DRIVERS = ['main/drivers/driver', 'main/drivers/step-errors'];

/**
 * What of main/ a driver may import: other driver code, the logger and the store's records. The
 * station, its feature folders, the pipeline, the API, the CLI, the hub and the shell are above it.
 */
const DRIVERS_MAY_IMPORT = ['main/drivers', 'main/logging', 'main/store'];

type Target = { kind: 'node-builtin' | 'package'; name: string } | { kind: 'file'; path: string };

const under = (file: string, dir: string) => file === dir || file.startsWith(`${dir}/`);
const withoutExtension = (p: string) => p.replace(/\.(d\.ts|tsx?|cts|mts|mjs|cjs|jsx?)$/, '');

/** Build-tool configs (vite.config.ts, ...) run in Node at build time, not in the renderer. */
function isToolConfig(file: string): boolean {
  return /(^|\/)[^/]+\.config\.(ts|mts|cts|mjs|js)$/.test(file);
}

function classify(fromFile: string, specifier: string): Target {
  if (specifier.startsWith('node:')) return { kind: 'node-builtin', name: specifier.slice(5) };
  if (specifier.startsWith('.') || specifier.startsWith('/')) {
    const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(fromFile), specifier));
    return { kind: 'file', path: resolved };
  }
  const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : (specifier.split('/')[0] as string);
  if (NODE_BUILTINS.has(name)) return { kind: 'node-builtin', name };
  return { kind: 'package', name };
}

function isNativePackage(name: string): boolean {
  return NATIVE_PACKAGES.some((p) => (p.endsWith('/') ? name.startsWith(p) : name === p));
}

/** Every rule, applied to one import of one file; returns the broken rules. */
function check(file: string, specifier: string): Array<{ rule: string; message: string }> {
  const target = classify(file, specifier);
  const out: Array<{ rule: string; message: string }> = [];
  const fileTarget = target.kind === 'file' ? withoutExtension(target.path) : null;

  if (target.kind === 'package' && target.name === 'electron' && !under(file, 'main/electron')) {
    out.push({ rule: 'electron-only-in-shell', message: "only main/electron/** may import 'electron'" });
  }

  if (under(file, 'renderer') && !isToolConfig(file)) {
    if (fileTarget && under(fileTarget, 'main'))
      out.push({ rule: 'renderer-not-main', message: 'the renderer must not import main/ (talk to the StationApi)' });
    if (target.kind === 'node-builtin') out.push({ rule: 'renderer-no-node', message: `the renderer must not import the Node builtin "${target.name}"` });
    if (target.kind === 'package' && isNativePackage(target.name) && target.name !== 'electron') {
      out.push({ rule: 'renderer-no-native', message: `the renderer must not import the Node-only package "${target.name}"` });
    }
  }

  if (under(file, 'shared') && !isToolConfig(file)) {
    if (fileTarget && (under(fileTarget, 'main') || under(fileTarget, 'renderer'))) {
      out.push({ rule: 'shared-imports-neither', message: 'shared/ must import neither main/ nor renderer/' });
    }
    if (target.kind === 'node-builtin')
      out.push({ rule: 'shared-no-node', message: `shared/ runs on both sides and must not import the Node builtin "${target.name}"` });
    if (target.kind === 'package' && isNativePackage(target.name) && target.name !== 'electron') {
      out.push({ rule: 'shared-no-native', message: `shared/ runs on both sides and must not import "${target.name}"` });
    }
  }

  if (under(file, 'main') && fileTarget && under(fileTarget, 'renderer')) {
    out.push({ rule: 'main-not-renderer', message: 'main/ must not import renderer/' });
  }

  if ((under(file, 'main/drivers') || under(file, 'main/store')) && fileTarget) {
    const layer = ABOVE_DRIVERS_AND_STORE.find((dir) => under(fileTarget, dir));
    if (layer) out.push({ rule: 'drivers-store-below', message: `drivers and the store must not import ${layer}/` });
  }

  out.push(...checkDriversNeverImportStation(file, fileTarget));

  if (under(file, 'main/pipeline') && fileTarget && under(fileTarget, 'main/drivers') && !PIPELINE_MAY_IMPORT_FROM_DRIVERS.includes(fileTarget)) {
    out.push({
      rule: 'pipeline-driver-agnostic',
      message: 'the pipeline may import only main/drivers/driver.ts and main/drivers/step-errors.ts, not a specific driver',
    });
  }
  return out;
}

/**
 * Drivers never import the station (nor its feature folders, the pipeline, the API or the shell):
 * a driver gets everything through the DeviceDriver interface, so a new driver family needs no
 * edit above it. The layers drivers-store-below names already report there, so not twice.
 */
function checkDriversNeverImportStation(file: string, fileTarget: string | null): Array<{ rule: string; message: string }> {
  if (!under(file, 'main/drivers') || !fileTarget || !under(fileTarget, 'main')) return [];
  if (DRIVERS_MAY_IMPORT.some((dir) => under(fileTarget, dir)) || ABOVE_DRIVERS_AND_STORE.some((dir) => under(fileTarget, dir))) return [];
  return [
    { rule: 'drivers-never-import-station', message: `a driver must not import ${fileTarget} (it gets what it needs through the DeviceDriver interface)` },
  ];
}

// ---- SQL only in the store ---------------------------------------------------------------------

/**
 * Where SQL may be written: the station's store modules (main/store/**) and, for now, the whole hub
 * (main/hub/**, with main/hub/db/ for its SQL layer): the hub is being split into ingest/, auth/ and
 * dashboard/ modules that still hold their own queries. Everywhere else SQL is a store method.
 */
const SQL_ALLOWED = ['main/store', 'main/hub'];
/** Calls that run SQL on a better-sqlite3 (or pg) handle, when the receiver is named like one. */
const SQL_METHODS = new Set(['prepare', 'exec', 'transaction', 'pragma']);
const DB_RECEIVER = /^(db|database|sqlite|pool|client|tx)$/i;
/**
 * A statement in a string or template literal: SQL's own shape (SELECT ... FROM, INSERT INTO,
 * UPDATE t SET, DELETE FROM, CREATE/DROP/ALTER TABLE|INDEX|VIEW|TRIGGER, PRAGMA x), so prose such
 * as "select a slot from the list" does not count: the keywords must be upper case.
 */
const SQL_TEXT =
  /^\s*(SELECT\b[\s\S]*\bFROM\b|INSERT\s+(OR\s+[A-Z]+\s+)?INTO\b|UPDATE\s+\w+\s+SET\b|DELETE\s+FROM\b|(CREATE|DROP|ALTER)\s+(UNIQUE\s+)?(TABLE|INDEX|VIEW|TRIGGER)\b|PRAGMA\s+\w+|WITH\s+\w+\s+AS\s*\()/;

/** The name a call's receiver ends in: `this.host.store.db.prepare` -> "db". */
function receiverName(expr: ts.Expression): string | null {
  if (ts.isIdentifier(expr)) return expr.text;
  if (ts.isPropertyAccessExpression(expr)) return expr.name.text;
  return null;
}

/** SQL written outside the store: a statement in a literal, or a prepare/exec/transaction/pragma call on a database handle. */
export function checkSqlOnlyInStore(file: SourceFile): Violation[] {
  if (SQL_ALLOWED.some((dir) => under(file.path, dir)) || !under(file.path, 'main')) return [];
  const out: Violation[] = [];
  const source = ts.createSourceFile(file.path, file.text, ts.ScriptTarget.Latest, true);
  const report = (node: ts.Node, what: string, message: string) =>
    out.push({
      file: file.path,
      line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1,
      specifier: what,
      rule: 'sql-only-in-store',
      message,
    });
  const visit = (node: ts.Node): void => {
    if ((ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateHead(node)) && SQL_TEXT.test(node.text)) {
      report(node, node.text.trim().split(/\s+/).slice(0, 3).join(' '), 'SQL belongs in a store module (main/store/): add a store method');
    } else if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && SQL_METHODS.has(node.expression.name.text)) {
      const receiver = receiverName(node.expression.expression);
      if (receiver && DB_RECEIVER.test(receiver))
        report(node, `${receiver}.${node.expression.name.text}()`, 'only store modules (main/store/) use the database handle: add a store method');
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

function lineOf(text: string, pos: number): number {
  let line = 1;
  for (let i = 0; i < pos && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** The floor panel's tabs live one per file here; the panel itself only frames them. */
const FLOOR_DIR = 'renderer/src/station/floor';
const FLOOR_TABS_DIR = `${FLOOR_DIR}/tabs`;
const TAB_COMPONENT = /^[A-Z][A-Za-z0-9]*Tab$/;

/** Top-level functions and constants named like a tab component (OrdersTab), with whether each is exported. */
function tabComponents(file: SourceFile): Array<{ name: string; exported: boolean; line: number }> {
  const source = ts.createSourceFile(file.path, file.text, ts.ScriptTarget.Latest, false, file.path.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const found: Array<{ name: string; exported: boolean; line: number }> = [];
  const exportedNames = new Set<string>();
  for (const statement of source.statements) {
    const exported = ts.canHaveModifiers(statement) && (ts.getModifiers(statement) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
    const line = source.getLineAndCharacterOfPosition(statement.getStart(source)).line + 1;
    if (ts.isFunctionDeclaration(statement) && statement.name && TAB_COMPONENT.test(statement.name.text))
      found.push({ name: statement.name.text, exported, line });
    if (ts.isVariableStatement(statement)) {
      for (const d of statement.declarationList.declarations)
        if (ts.isIdentifier(d.name) && TAB_COMPONENT.test(d.name.text)) found.push({ name: d.name.text, exported, line });
    }
    if (ts.isExportDeclaration(statement) && !statement.moduleSpecifier && statement.exportClause && ts.isNamedExports(statement.exportClause)) {
      for (const e of statement.exportClause.elements) exportedNames.add((e.propertyName ?? e.name).text);
    }
  }
  return found.map((c) => ({ ...c, exported: c.exported || exportedNames.has(c.name) }));
}

/** The floor tabs, one file each: a file under floor/tabs/ declares exactly its own exported *Tab; no other floor file declares one. */
function checkFloorTabs(file: SourceFile): Violation[] {
  if (!under(file.path, FLOOR_DIR) || !/\.tsx?$/.test(file.path)) return [];
  const components = tabComponents(file);
  const at = (line: number, rule: string, message: string): Violation => ({ file: file.path, line, specifier: '', rule, message });
  if (!under(file.path, FLOOR_TABS_DIR)) {
    return components.map((c) => at(c.line, 'floor-tab-own-file', `the floor tab ${c.name} belongs in its own file ${FLOOR_TABS_DIR}/${c.name}.tsx`));
  }
  const own = withoutExtension(path.posix.basename(file.path));
  const out = components
    .filter((c) => c.name !== own)
    .map((c) => at(c.line, 'floor-tab-one-per-file', `${file.path} is the home of ${own} only; ${c.name} belongs in its own file`));
  const mine = components.find((c) => c.name === own);
  if (!mine?.exported) out.push(at(mine?.line ?? 1, 'floor-tab-one-per-file', `${file.path} must export the tab component ${own}`));
  return out;
}

/** Checks the given files; returns every violation (empty when the tree follows the rules). */
export function checkArchitecture(files: readonly SourceFile[]): Violation[] {
  const violations: Violation[] = [];
  for (const file of files) {
    const info = ts.preProcessFile(file.text, true, true);
    const refs = [
      ...info.importedFiles.map((r) => ({ specifier: r.fileName, pos: r.pos })),
      // `/// <reference types="node" />` pulls Node's types in just like an import would.
      ...info.typeReferenceDirectives.map((r) => ({ specifier: r.fileName === 'node' ? 'node:*' : r.fileName, pos: r.pos })),
    ];
    for (const ref of refs) {
      for (const v of check(file.path, ref.specifier)) {
        violations.push({ file: file.path, line: lineOf(file.text, ref.pos), specifier: ref.specifier, ...v });
      }
    }
    violations.push(...checkFloorTabs(file));
    violations.push(...checkSqlOnlyInStore(file));
  }
  return violations;
}

/** Reads every source file under main/, renderer/ and shared/ of a checkout. */
export function collectSourceFiles(repoRoot: string): SourceFile[] {
  const files: SourceFile[] = [];
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) walk(full);
      } else if (SCANNED_EXTENSIONS.some((ext) => entry.name.endsWith(ext)) && !entry.name.endsWith('.d.ts')) {
        files.push({ path: path.relative(repoRoot, full).split(path.sep).join('/'), text: fs.readFileSync(full, 'utf8') });
      }
    }
  };
  for (const root of SCANNED_ROOTS) walk(path.join(repoRoot, root));
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

export function formatViolation(v: Violation): string {
  if (v.rule === 'sql-only-in-store') return `${v.file}:${v.line}: SQL "${v.specifier}": ${v.message} [${v.rule}]`;
  // Shape rules (the floor tabs) concern no import.
  if (!v.specifier) return `${v.file}:${v.line}: ${v.message} [${v.rule}]`;
  return `${v.file}:${v.line}: imports "${v.specifier}": ${v.message} [${v.rule}]`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  const files = collectSourceFiles(repoRoot);
  const violations = checkArchitecture(files);
  for (const v of violations) process.stderr.write(`${formatViolation(v)}\n`);
  process.stdout.write(`check-architecture: ${files.length} files, ${violations.length} violation${violations.length === 1 ? '' : 's'}\n`);
  process.exitCode = violations.length > 0 ? 1 : 0;
}
