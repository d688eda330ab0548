/** One problem in a blueprint file, located so an admin can jump to it. */
export interface BlueprintIssue {
  file: string;
  line: number | null;
  column: number | null;
  /** Path into the document, e.g. "steps[3].timeout". */
  path: string;
  message: string;
}

export class BlueprintError extends Error {
  override name = 'BlueprintError';
  constructor(readonly issues: BlueprintIssue[]) {
    super(issues.map(formatIssue).join('\n'));
  }
}

export function formatIssue(issue: BlueprintIssue): string {
  const where = issue.line === null ? issue.file : `${issue.file}:${issue.line}:${issue.column ?? 1}`;
  return `${where}: ${issue.path || '(file)'}: ${issue.message}`;
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`)).join('');
}
