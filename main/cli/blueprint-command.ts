import path from 'node:path';
import { message } from '../../shared/messages/catalogue.js';
import { labelPair } from '../../shared/blueprint/schema.js';
import { BlueprintError, formatIssue } from '../blueprints/blueprint-errors.js';
import { loadDefinition } from '../blueprints/blueprint-loader.js';
import { describeOrigin, type ResolvedBlueprint } from '../blueprints/blueprint-variants.js';
import { RESOURCES_DIR } from '../app-paths.js';
import { CliError } from './cli-error.js';
import { printErr, printOut } from './terminal-output.js';

export interface ValidateOptions {
  resolved?: boolean;
}

function printResolved({ blueprint, origins }: ResolvedBlueprint): void {
  printOut(`hash: sha256:${blueprint.hash}`);
  if (blueprint.naming) printOut(`naming: ${blueprint.naming}`);
  for (const item of blueprint.library ?? []) printOut(`library: ${item.id}${item.version ? ` ${item.version}` : ''}`);
  blueprint.steps.forEach((step, i) => {
    const origin = origins[i];
    printOut(`${String(i + 1).padStart(3)}. ${step.id} (${step.type}) "${labelPair(step.label, step.id).en}" <- ${origin ? describeOrigin(origin) : '?'}`);
  });
}

/**
 * `benchline blueprint validate FILE [--resolved]`: blueprints, variants and baselines; exit 0
 * when valid, 1 with every problem by line and field. --resolved prints the effective steps and
 * where each comes from.
 */
export function validateBlueprintCommand(file: string, opts: ValidateOptions = {}): void {
  try {
    const loaded = loadDefinition(path.resolve(file), [path.join(RESOURCES_DIR, 'blueprints', 'baselines')]);
    if (loaded.kind === 'baseline') {
      const b = loaded.baseline;
      printOut(`${file}: valid: baseline ${b.id} (${b.platform}), ${b.steps.length} required step${b.steps.length > 1 ? 's' : ''}`);
      if (opts.resolved)
        b.steps.forEach((s, i) => printOut(`${String(i + 1).padStart(3)}. ${s.step.id} (${s.step.type}) before the first ${s.before} <- baseline ${b.id}`));
      return;
    }
    const bp = loaded.resolved.blueprint;
    const required = bp.steps.filter((s) => s.mandatory).length;
    const parent = bp.extends ? `, variant of ${bp.extends}` : '';
    printOut(
      `${file}: valid: ${bp.id} v${bp.version} (${bp.platform})${parent}, ${bp.steps.length} steps${required ? `, ${required} from baseline ${bp.baseline}` : ''}`,
    );
    if (opts.resolved) printResolved(loaded.resolved);
  } catch (err) {
    if (err instanceof BlueprintError) {
      for (const issue of err.issues) printErr(formatIssue(issue));
      throw new CliError(message(err.issues.length > 1 ? 'cli.blueprint-problems' : 'cli.blueprint-problem', { file, count: err.issues.length }));
    }
    throw err;
  }
}
