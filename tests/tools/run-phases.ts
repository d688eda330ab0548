// `npm test`: runs the suite's phases and prints how long each took ("phase build: 14.2 s"), so CI
// logs show where the time goes. First the static checks and the build, two lanes side by side, one
// per core (their output is printed when each ends): lint (type-aware ESLint + Prettier, the longest
// single step) beside the build (build:main's tsc already checks main/ and shared/) followed by the
// type check of shared/, the renderer and the tests; on a clean clone the two lanes take about as long.
// A type or lint mistake, the commonest newcomer failure, so ends the run within about two minutes,
// before the slow tests start. Then vitest, then Playwright, which need the build. The first failing
// phase stops the run (and the phases running beside it) with its exit code.
import { spawn, type ChildProcess } from 'node:child_process';
import process from 'node:process';

interface Phase {
  name: string;
  /** npm scripts run one after another within the phase. */
  scripts: string[];
}

/** Phases in a group run at the same time; groups run in order. */
const GROUPS: Phase[][] = [
  [
    { name: 'lint', scripts: ['lint'] },
    { name: 'build, typecheck', scripts: ['build', 'typecheck:shared', 'typecheck:renderer', 'typecheck:tests'] },
  ],
  [{ name: 'vitest', scripts: ['test:vitest'] }],
  [{ name: 'e2e', scripts: ['test:e2e'] }],
];

interface Outcome {
  phase: string;
  seconds: number;
  code: number;
  /** Stopped because a phase beside it failed. */
  stopped: boolean;
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Scripts still running, each in its own process group, so a failure beside them can stop them. */
const running = new Set<ChildProcess>();
let stopping = false;

function stopRunning(): void {
  stopping = true;
  for (const child of running) {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
  }
}

function runScript(script: string, buffered: boolean): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(npm, ['run', '--silent', script], { stdio: buffered ? ['ignore', 'pipe', 'pipe'] : 'inherit', detached: process.platform !== 'win32' });
    running.add(child);
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (code, signal) => {
      running.delete(child);
      resolve({ code: code ?? (signal ? 1 : 0), output });
    });
  });
}

async function runPhase(phase: Phase, buffered: boolean): Promise<Outcome> {
  const started = performance.now();
  let code = 0;
  let stopped = false;
  for (const script of phase.scripts) {
    if (stopping) {
      stopped = true;
      break;
    }
    const scriptStarted = performance.now();
    const result = await runScript(script, buffered);
    if (stopping && result.code !== 0) {
      // Stopped because a phase beside it failed: its output would only hide that failure.
      stopped = true;
      break;
    }
    if (buffered && result.output)
      process.stdout.write(`---- ${phase.name}: npm run ${script} (${((performance.now() - scriptStarted) / 1000).toFixed(1)} s)\n${result.output}`);
    code = result.code;
    if (code !== 0) {
      stopRunning();
      break;
    }
  }
  const outcome = { phase: phase.name, seconds: (performance.now() - started) / 1000, code: stopped ? 1 : code, stopped };
  const note = stopped ? ' (stopped: a phase beside it failed)' : code === 0 ? '' : ` (failed, exit code ${code})`;
  process.stdout.write(`phase ${outcome.phase}: ${outcome.seconds.toFixed(1)} s${note}\n`);
  return outcome;
}

const started = performance.now();
const outcomes: Outcome[] = [];
let failed = 0;
for (const group of GROUPS) {
  const results = await Promise.all(group.map((phase) => runPhase(phase, group.length > 1)));
  outcomes.push(...results);
  failed = results.find((r) => r.code !== 0 && !r.stopped)?.code ?? results.find((r) => r.code !== 0)?.code ?? 0;
  if (failed !== 0) break;
}
const total = (performance.now() - started) / 1000;
process.stdout.write(`\nphase times: ${outcomes.map((o) => `${o.phase} ${o.seconds.toFixed(1)} s`).join(', ')}; npm test ${total.toFixed(1)} s\n`);
process.exitCode = failed;
