import fs from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument, isMap, isNode, isScalar, type Document } from 'yaml';
import type { z } from 'zod';
import {
  STEP_TYPES,
  baselineFileSchema,
  blueprintFileSchema,
  type BaselineFile,
  type Blueprint,
  type BlueprintFile,
  type BlueprintStep,
  variantFileSchema,
} from '../../shared/blueprint/schema.js';
import { BlueprintError, formatPath, type BlueprintIssue } from './blueprint-errors.js';
import { canonicalJson, sealBlueprint } from './blueprint-hash.js';
import { applyVariant, originsOf, type ResolvedBlueprint } from './blueprint-variants.js';

interface ParsedYaml {
  doc: Document;
  lines: LineCounter;
  file: string;
}

function parseYaml(file: string, text: string): ParsedYaml {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new BlueprintError(
      doc.errors.map((e) => {
        // linePos is only filled in with prettyErrors; the offset always is.
        const pos = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
        let message = e.message.split('\n')[0] ?? e.message;
        if (e.code === 'DUPLICATE_KEY') message = `${message}: "${/^[^:\n]*/.exec(text.slice(e.pos[0]))?.[0].trim()}" appears twice`;
        return { file, line: pos.line, column: pos.col, path: '', message };
      }),
    );
  }
  return { doc, lines, file };
}

const ROOT_FIELDS = 'id, name, version, platform and steps';

type Where = { line: number | null; column: number | null };
type Locator = (path: readonly PropertyKey[]) => Where;

/**
 * Locates a path in the YAML source: the key itself when the path ends in a mapping key, else the
 * value; falls back to the nearest parent that exists, and to the file's first line.
 */
function locate(parsed: ParsedYaml, zpath: readonly PropertyKey[]): Where {
  for (let len = zpath.length; len >= 0; len--) {
    const parent = len > 0 ? parsed.doc.getIn(zpath.slice(0, len - 1) as unknown[], true) : null;
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(zpath[len - 1]));
      if (pair && isNode(pair.key) && pair.key.range) return at(parsed, pair.key.range[0]);
    }
    const node = parsed.doc.getIn(zpath.slice(0, len) as unknown[], true);
    if (isNode(node) && node.range) return at(parsed, node.range[0]);
  }
  return { line: 1, column: 1 };
}

function at(parsed: ParsedYaml, offset: number): Where {
  const pos = parsed.lines.linePos(offset);
  return { line: pos.line, column: pos.col };
}

function validate<T>(parsed: ParsedYaml, schema: z.ZodType<T>): T {
  // reportInput: tells a missing field (no input) from one of the wrong type.
  const result = schema.safeParse(parsed.doc.toJS(), { reportInput: true });
  if (result.success) return result.data;
  const issues: BlueprintIssue[] = result.error.issues.flatMap((issue): BlueprintIssue[] => {
    if (issue.code === 'unrecognized_keys') {
      // One issue per unknown key, located at the key, so the line and path name the typo itself.
      return issue.keys.map((key) => {
        const keyPath = [...issue.path, key];
        return { file: parsed.file, ...locate(parsed, keyPath), path: formatPath(keyPath), message: `unknown field "${key}"` };
      });
    }
    let message = issue.message;
    if (issue.code === 'invalid_union' && issue.path.at(-1) === 'type') message = `unknown step type; use one of: ${STEP_TYPES.join(', ')}`;
    if (issue.code === 'invalid_type' && issue.path.length === 0) message = `the file must be a YAML mapping with the fields ${ROOT_FIELDS}`;
    else if (issue.code === 'invalid_type' && issue.input === undefined) message = `required field is missing (${issue.expected})`;
    return [{ file: parsed.file, ...locate(parsed, issue.path), path: formatPath(issue.path), message }];
  });
  throw new BlueprintError(issues);
}

export function readBaselineFile(file: string): BaselineFile {
  return validate(parseYaml(file, readText(file)), baselineFileSchema);
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    throw new BlueprintError([{ file, line: null, column: null, path: '', message: reason }]);
  }
}

/**
 * Merges the baseline's required steps into a blueprint. A required step the blueprint leaves out
 * is inserted before its anchor; one the blueprint lists under the same id must be identical, so a
 * customer blueprint can neither drop nor weaken youth- and data-protection policy.
 */
export function applyBaseline(file: string, bp: BlueprintFile, baseline: BaselineFile | null, locate?: Locator): Blueprint {
  const issues: BlueprintIssue[] = [];
  const where = (p: (string | number)[]): Where => locate?.(p) ?? { line: null, column: null };
  const issue = (p: (string | number)[], message: string) => issues.push({ file, ...where(p), path: formatPath(p), message });
  const steps: BlueprintStep[] = bp.steps.map((s) => ({ ...s }));
  if (bp.baseline !== undefined) {
    if (!baseline) {
      issue(['baseline'], `baseline "${bp.baseline}" was not found`);
    } else if (baseline.platform !== bp.platform) {
      issue(['baseline'], `baseline "${baseline.id}" is for ${baseline.platform}, this blueprint for ${bp.platform}`);
    } else {
      for (const required of baseline.steps) {
        const index = steps.findIndex((s) => s.id === required.step.id);
        if (index >= 0) {
          const own = steps[index] as BlueprintStep;
          if (canonicalJson(own) !== canonicalJson(required.step)) {
            // Name the first field that differs, so the admin sees what to put back.
            const fields = [...new Set([...Object.keys(own), ...Object.keys(required.step)])].filter((k) => k !== 'mandatory');
            const differs = fields.find(
              (k) => canonicalJson((own as Record<string, unknown>)[k]) !== canonicalJson((required.step as Record<string, unknown>)[k]),
            );
            issue(
              differs ? ['steps', index, differs] : ['steps', index],
              `step "${own.id}" is required by baseline "${baseline.id}" and must not be changed; remove it or keep it exactly as the baseline has it`,
            );
          }
          own.mandatory = true;
          continue;
        }
        let at = steps.findIndex((s) => s.type === required.before);
        if (at < 0) at = steps.length;
        steps.splice(at, 0, { ...required.step, mandatory: true });
      }
    }
  }
  if (issues.length > 0) throw new BlueprintError(issues);
  return sealBlueprint({
    id: bp.id,
    name: bp.name,
    version: bp.version,
    platform: bp.platform,
    baseline: bp.baseline ?? null,
    naming: bp.naming ?? null,
    steps,
  });
}

/** What `benchline blueprint validate` can be given: a blueprint, a variant or a baseline. */
export type LoadedDefinition = { kind: 'blueprint' | 'variant'; resolved: ResolvedBlueprint } | { kind: 'baseline'; baseline: BaselineFile };

/** The kind a file declares; a file with `extends:` and no kind is a variant. */
function kindOf(parsed: ParsedYaml): 'blueprint' | 'variant' | 'baseline' {
  const data = parsed.doc.toJS() as unknown;
  if (!data || typeof data !== 'object' || Array.isArray(data)) return 'blueprint';
  const { kind, extends: parent } = data as { kind?: unknown; extends?: unknown };
  if (kind === 'baseline' || kind === 'variant') return kind;
  return kind === undefined && parent !== undefined ? 'variant' : 'blueprint';
}

/**
 * Folders searched for a variant's parent `<id>.yaml`: the variant's folder and the one above it
 * (resources/blueprints/variants/ sits under the blueprints), then the blueprint folders that hold
 * the default baselines, each with its variants/.
 */
function parentDirs(file: string, baselineDirs: readonly string[]): string[] {
  const roots = [path.dirname(file), path.dirname(path.dirname(file)), ...baselineDirs.map((d) => path.dirname(d))];
  return [...new Set(roots.flatMap((d) => [d, path.join(d, 'variants')]))];
}

/**
 * Loads any definition file. A blueprint gets its baseline merged in (looked up next to the file,
 * in baselines/ or the same folder, then in `baselineDirs`); a variant is resolved against its
 * parent, found by id as a file (see parentDirs); `seen` stops a variant that extends itself.
 */
export function loadDefinition(file: string, baselineDirs: readonly string[], seen: readonly string[] = []): LoadedDefinition {
  const parsed = parseYaml(file, readText(file));
  const kind = kindOf(parsed);
  if (kind === 'baseline') return { kind, baseline: validate(parsed, baselineFileSchema) };
  const locateInFile: Locator = (p) => locate(parsed, p);
  if (kind === 'blueprint') {
    const bp = validate(parsed, blueprintFileSchema);
    let baseline: BaselineFile | null = null;
    if (bp.baseline !== undefined) {
      const dirs = [path.join(path.dirname(file), 'baselines'), path.dirname(file), ...baselineDirs];
      const found = dirs.map((d) => path.join(d, `${bp.baseline}.yaml`)).find((f) => fs.existsSync(f));
      if (found) baseline = readBaselineFile(found);
    }
    const blueprint = applyBaseline(file, bp, baseline, locateInFile);
    return { kind, resolved: { blueprint, origins: originsOf(blueprint) } };
  }
  const variant = validate(parsed, variantFileSchema);
  const refuse = (message: string): never => {
    throw new BlueprintError([{ file, ...locateInFile(['extends']), path: 'extends', message }]);
  };
  if ([...seen, variant.id].includes(variant.extends)) refuse(`"${variant.extends}" extends itself through ${[...seen, variant.id].join(' -> ')}`);
  const parentFile = parentDirs(file, baselineDirs)
    .map((d) => path.join(d, `${variant.extends}.yaml`))
    .find((f) => fs.existsSync(f) && path.resolve(f) !== path.resolve(file));
  if (!parentFile)
    return refuse(`blueprint "${variant.extends}" was not found (looked for ${variant.extends}.yaml in ${parentDirs(file, baselineDirs).join(', ')})`);
  const parent = loadDefinition(parentFile, baselineDirs, [...seen, variant.id]);
  if (parent.kind === 'baseline')
    return refuse(`"${variant.extends}" is a baseline; a variant extends a blueprint (a blueprint names its baseline with "baseline:")`);
  return { kind, resolved: applyVariant(file, variant, parent.resolved, locateInFile) };
}

/** Loads a blueprint or variant a run can execute; a baseline file is refused (it is not run on its own). */
export function loadBlueprint(file: string, baselineDirs: readonly string[]): Blueprint {
  const loaded = loadDefinition(file, baselineDirs);
  if (loaded.kind === 'baseline') {
    throw new BlueprintError([
      { file, line: null, column: null, path: 'kind', message: 'a baseline is not run on its own; blueprints name it with "baseline:"' },
    ]);
  }
  return loaded.resolved.blueprint;
}

/** A loaded blueprint and the file it came from. */
export interface BlueprintSource {
  blueprint: Blueprint;
  file: string;
}

function yamlFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort()
    .map((f) => path.join(dir, f));
}

function loadAll(files: readonly string[], baselineDir: string): BlueprintSource[] {
  const issues: BlueprintIssue[] = [];
  const out: BlueprintSource[] = [];
  for (const file of files) {
    try {
      out.push({ blueprint: loadBlueprint(file, [baselineDir]), file });
    } catch (err) {
      if (err instanceof BlueprintError) issues.push(...err.issues);
      else throw err;
    }
  }
  if (issues.length > 0) throw new BlueprintError(issues);
  return out;
}

/** Every *.yaml blueprint of a folder and of its variants/ (not baselines/), with its file; all or nothing. */
export function loadBlueprintSources(dir: string): BlueprintSource[] {
  return loadAll([...yamlFiles(dir), ...yamlFiles(path.join(dir, 'variants'))], path.join(dir, 'baselines'));
}

/** Loads every *.yaml blueprint of a folder itself (not baselines/ or variants/), all or nothing. */
export function loadBlueprintDir(dir: string): Blueprint[] {
  return loadAll(yamlFiles(dir), path.join(dir, 'baselines')).map((s) => s.blueprint);
}
