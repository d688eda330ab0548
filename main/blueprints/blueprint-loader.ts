import crypto from 'node:crypto';
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
} from '../../shared/blueprint/schema.js';
import { BlueprintError, formatPath, type BlueprintIssue } from './blueprint-errors.js';

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

/** Reads and validates one blueprint file (not yet merged with its baseline), with where each value stands in it. */
function readBlueprintFileLocated(file: string): { bp: BlueprintFile; locate: Locator } {
  const parsed = parseYaml(file, readText(file));
  return { bp: validate(parsed, blueprintFileSchema), locate: (p) => locate(parsed, p) };
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
          if (canonical(own) !== canonical(required.step)) {
            // Name the first field that differs, so the admin sees what to put back.
            const fields = [...new Set([...Object.keys(own), ...Object.keys(required.step)])].filter((k) => k !== 'mandatory');
            const differs = fields.find((k) => canonical((own as Record<string, unknown>)[k]) !== canonical((required.step as Record<string, unknown>)[k]));
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
  const merged = {
    id: bp.id,
    name: bp.name,
    version: bp.version,
    platform: bp.platform,
    baseline: bp.baseline ?? null,
    naming: bp.naming ?? null,
    steps,
  };
  const hash = crypto.createHash('sha256').update(canonical(merged)).digest('hex');
  return { ...merged, hash };
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([k]) => k !== 'mandatory').sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

/**
 * Loads a blueprint and its baseline. Baselines are looked up next to the file (baselines/ or the
 * same folder), then in the default baselines.
 */
export function loadBlueprint(file: string, baselineDirs: readonly string[]): Blueprint {
  const { bp, locate: locateInFile } = readBlueprintFileLocated(file);
  let baseline: BaselineFile | null = null;
  if (bp.baseline !== undefined) {
    const dirs = [path.join(path.dirname(file), 'baselines'), path.dirname(file), ...baselineDirs];
    const found = dirs.map((d) => path.join(d, `${bp.baseline}.yaml`)).find((f) => fs.existsSync(f));
    if (found) baseline = readBaselineFile(found);
  }
  return applyBaseline(file, bp, baseline, locateInFile);
}

/** Loads every *.yaml blueprint of a folder (not baselines/), all or nothing. */
export function loadBlueprintDir(dir: string): Blueprint[] {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort();
  const baselineDir = path.join(dir, 'baselines');
  const issues: BlueprintIssue[] = [];
  const out: Blueprint[] = [];
  for (const f of files) {
    try {
      out.push(loadBlueprint(path.join(dir, f), [baselineDir]));
    } catch (err) {
      if (err instanceof BlueprintError) issues.push(...err.issues);
      else throw err;
    }
  }
  if (issues.length > 0) throw new BlueprintError(issues);
  return out;
}
