import type { FullResult, Reporter, Suite, TestCase } from '@playwright/test/reporter';

/**
 * Prints every skipped test with its reason at the end of a run: the list reporter shows a skipped
 * test's title only, and a skip nobody can read the reason of looks like a hidden failure.
 */
export default class SkipReasonsReporter implements Reporter {
  private root: Suite | null = null;

  onBegin(_config: unknown, suite: Suite): void {
    this.root = suite;
  }

  onEnd(_result: FullResult): void {
    const skipped = (this.root?.allTests() ?? []).filter((t: TestCase) => t.outcome() === 'skipped');
    for (const t of skipped) {
      const reasons = t.annotations.filter((a) => a.type === 'skip' || a.type === 'fixme').map((a) => a.description ?? 'no reason given');
      process.stdout.write(`skipped: ${t.titlePath().filter(Boolean).join(' › ')}: ${reasons.join('; ') || 'no reason given'}\n`);
    }
  }

  printsToStdio(): boolean {
    return false;
  }
}
