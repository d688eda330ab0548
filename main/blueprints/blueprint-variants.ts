import { blueprintStepSchema, type Blueprint, type BlueprintStep, type StepOverride, type VariantFile } from '../../shared/blueprint/schema.js';
import { BlueprintError, formatPath, type BlueprintIssue } from './blueprint-errors.js';
import { sealBlueprint } from './blueprint-hash.js';

/** Where a step of a resolved blueprint comes from (`benchline blueprint validate --resolved`). */
export type StepOrigin =
  { source: 'baseline'; name: string } | { source: 'blueprint'; name: string } | { source: 'variant'; name: string; change: 'added' | 'overridden' };

/** A blueprint with the origin of each of its steps (same order as `blueprint.steps`). */
export interface ResolvedBlueprint {
  blueprint: Blueprint;
  origins: StepOrigin[];
}

export function describeOrigin(origin: StepOrigin): string {
  return origin.source === 'variant' ? `variant ${origin.name}: ${origin.change}` : `${origin.source} ${origin.name}`;
}

/** A plain blueprint: its baseline's steps come from the baseline, the others from the blueprint. */
export function originsOf(bp: Blueprint): StepOrigin[] {
  return bp.steps.map((s) => (s.mandatory && bp.baseline ? { source: 'baseline', name: bp.baseline } : { source: 'blueprint', name: bp.id }));
}

type Locate = (path: (string | number)[]) => { line: number | null; column: number | null };

/** Merges `patch` into `base` key by key; nested mappings merge, everything else replaces. */
function mergeParams(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const old = out[key];
    const bothMaps = isMap(old) && isMap(value);
    out[key] = bothMaps ? mergeParams(old, value) : value;
  }
  return out;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Applies one override to a step and validates the result as a step of its type, so a variant
 * cannot set a parameter the step does not know. Durations are handed back in milliseconds.
 */
function overrideStep(step: BlueprintStep, ov: StepOverride): { step: BlueprintStep } | { issues: { path: (string | number)[]; message: string }[] } {
  const candidate = {
    ...step,
    label: ov.label ?? step.label,
    timeout: `${ov.timeout ?? step.timeout}ms`,
    backoff: `${ov.backoff ?? step.backoff}ms`,
    retries: ov.retries ?? step.retries,
    params: mergeParams(step.params, ov.params ?? {}),
  };
  if (candidate.label === undefined) delete (candidate as { label?: unknown }).label;
  const parsed = blueprintStepSchema.safeParse(candidate);
  if (parsed.success) return { step: parsed.data };
  return {
    issues: parsed.error.issues.flatMap((i) => {
      const at = i.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
      // One issue per unknown key, at the key, as the loader reports typos.
      if (i.code === 'unrecognized_keys') return i.keys.map((key) => ({ path: [...at, key], message: `unknown field "${key}"` }));
      return [{ path: at, message: i.message }];
    }),
  };
}

/**
 * Resolves a variant against its (already resolved) parent. Baseline steps stay as they are:
 * removing or overriding one is refused with the step named, like a blueprint that edits them.
 */
export function applyVariant(file: string, variant: VariantFile, parent: ResolvedBlueprint, locate?: Locate): ResolvedBlueprint {
  const issues: BlueprintIssue[] = [];
  const issue = (p: (string | number)[], message: string) =>
    issues.push({ file, ...(locate?.(p) ?? { line: null, column: null }), path: formatPath(p), message });
  const base = parent.blueprint;
  const steps = base.steps.map((s) => ({ ...s }));
  const origins = [...parent.origins];
  const known = () => steps.map((s) => s.id).join(', ');
  const baselineOf = (i: number): string => {
    const o = origins[i];
    return o?.source === 'baseline' ? o.name : (base.baseline ?? 'the baseline');
  };

  variant.remove.forEach((id, i) => {
    const at = steps.findIndex((s) => s.id === id);
    if (at < 0) return issue(['remove', i], `step "${id}" is not in "${base.id}"; its steps are: ${known()}`);
    if (steps[at]?.mandatory) return issue(['remove', i], `step "${id}" is required by baseline "${baselineOf(at)}" and cannot be removed by a variant`);
    steps.splice(at, 1);
    origins.splice(at, 1);
  });

  for (const [id, ov] of Object.entries(variant.override)) {
    const at = steps.findIndex((s) => s.id === id);
    const step = steps[at];
    if (!step) {
      issue(['override', id], `step "${id}" is not in "${base.id}" (or the variant removes it); its steps are: ${known()}`);
      continue;
    }
    if (step.mandatory) {
      issue(['override', id], `step "${id}" is required by baseline "${baselineOf(at)}" and cannot be changed by a variant`);
      continue;
    }
    const result = overrideStep(step, ov);
    if ('issues' in result) {
      for (const i of result.issues) issue(['override', id, ...i.path], i.message);
      continue;
    }
    steps[at] = result.step;
    origins[at] = { source: 'variant', name: variant.id, change: 'overridden' };
  }

  variant.add.forEach((add, i) => {
    const anchor = (add.after ?? add.before) as string;
    if (steps.some((s) => s.id === add.step.id))
      return issue(['add', i, 'step', 'id'], `step id "${add.step.id}" is already used in "${base.id}"; choose another id`);
    const at = steps.findIndex((s) => s.id === anchor);
    if (at < 0) return issue(['add', i, add.after ? 'after' : 'before'], `step "${anchor}" is not in "${base.id}"; its steps are: ${known()}`);
    const insertAt = add.after ? at + 1 : at;
    steps.splice(insertAt, 0, add.step);
    origins.splice(insertAt, 0, { source: 'variant', name: variant.id, change: 'added' });
  });

  if (issues.length > 0) throw new BlueprintError(issues);
  const blueprint = sealBlueprint({
    id: variant.id,
    name: variant.name,
    version: variant.version,
    platform: base.platform,
    baseline: base.baseline,
    naming: variant.naming ?? base.naming,
    extends: variant.extends,
    ...(variant.library ? { library: variant.library } : base.library ? { library: base.library } : {}),
    steps,
  });
  return { blueprint, origins };
}
