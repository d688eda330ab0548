import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
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
        const pos = e.linePos?.[0];
        return { file, line: pos?.line ?? null, column: pos?.col ?? null, path: '', message: e.message.split('\n')[0] ?? e.message };
      }),
    );
  }
  return { doc, lines, file };
}

/** Locates a zod issue's path in the YAML source; falls back to the nearest parent that exists. */
function locate(parsed: ParsedYaml, zpath: readonly PropertyKey[]): { line: number | null; column: number | null } {
  for (let len = zpath.length; len >= 0; len--) {
    const node = parsed.doc.getIn(zpath.slice(0, len) as unknown[], true);
    if (isNode(node) && node.range) {
      const pos = parsed.lines.linePos(node.range[0]);
      return { line: pos.line, column: pos.col };
    }
  }
  return { line: null, column: null };
}

function validate<T>(parsed: ParsedYaml, schema: z.ZodType<T>): T {
  const result = schema.safeParse(parsed.doc.toJS());
  if (result.success) return result.data;
  const issues: BlueprintIssue[] = result.error.issues.map((issue) => {
    const where = locate(parsed, issue.path);
    const field = formatPath(issue.path);
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') message = `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    if (issue.code === 'invalid_union' && issue.path.at(-1) === 'type') message = `unknown step type; use one of: ${STEP_TYPES.join(', ')}`;
    if (issue.code === 'invalid_type' && issue.input === undefined) message = `required field is missing (${issue.expected})`;
    return { file: parsed.file, ...where, path: field, message };
  });
  throw new BlueprintError(issues);
}

/** Reads and validates one blueprint file (not yet merged with its baseline). */
export function readBlueprintFile(file: string): BlueprintFile {
  const text = readText(file);
  return validate(parseYaml(file, text), blueprintFileSchema);
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
export function applyBaseline(file: string, bp: BlueprintFile, baseline: BaselineFile | null): Blueprint {
  const issues: BlueprintIssue[] = [];
  const steps: BlueprintStep[] = bp.steps.map((s) => ({ ...s }));
  if (bp.baseline !== undefined) {
    if (!baseline) {
      issues.push({ file, line: null, column: null, path: 'baseline', message: `baseline "${bp.baseline}" was not found` });
    } else if (baseline.platform !== bp.platform) {
      issues.push({ file, line: null, column: null, path: 'baseline', message: `baseline "${baseline.id}" is for ${baseline.platform}, this blueprint for ${bp.platform}` });
    } else {
      for (const required of baseline.steps) {
        const index = steps.findIndex((s) => s.id === required.step.id);
        if (index >= 0) {
          const own = steps[index] as BlueprintStep;
          if (canonical(own) !== canonical(required.step)) {
            issues.push({
              file, line: null, column: null, path: `steps[${index}]`,
              message: `step "${own.id}" is required by baseline "${baseline.id}" and must not be changed`,
            });
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
  const bp = readBlueprintFile(file);
  let baseline: BaselineFile | null = null;
  if (bp.baseline !== undefined) {
    const dirs = [path.join(path.dirname(file), 'baselines'), path.dirname(file), ...baselineDirs];
    const found = dirs.map((d) => path.join(d, `${bp.baseline}.yaml`)).find((f) => fs.existsSync(f));
    if (found) baseline = readBaselineFile(found);
  }
  return applyBaseline(file, bp, baseline);
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
