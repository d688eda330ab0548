import path from 'node:path';
import { BlueprintError, formatIssue } from '../blueprints/blueprint-errors.js';
import { loadBlueprint } from '../blueprints/blueprint-loader.js';
import { RESOURCES_DIR } from '../app-paths.js';
import { CliError } from './cli-error.js';
import { printErr, printOut } from './terminal-output.js';

/** `benchline blueprint validate FILE`: exit 0 when valid, 1 with every problem by line and field. */
export function validateBlueprintCommand(file: string): void {
  try {
    const bp = loadBlueprint(path.resolve(file), [path.join(RESOURCES_DIR, 'blueprints', 'baselines')]);
    const required = bp.steps.filter((s) => s.mandatory).length;
    printOut(`${file}: valid: ${bp.id} v${bp.version} (${bp.platform}), ${bp.steps.length} steps${required ? `, ${required} from baseline ${bp.baseline}` : ''}`);
  } catch (err) {
    if (err instanceof BlueprintError) {
      for (const issue of err.issues) printErr(formatIssue(issue));
      throw new CliError(`${file}: ${err.issues.length} problem${err.issues.length > 1 ? 's' : ''}; the blueprint was not accepted.`);
    }
    throw err;
  }
}
