// `npm test`: runs the suite's phases and prints how long each took ("phase build: 14.2 s"), so CI
// logs show where the time goes. The build and the type check are independent (build:main's tsc
// already checks main/ and shared/, so the check here covers shared/ alone, the renderer and the
// tests) and run side by side, one per core; their output is printed when each ends. Then vitest,
// then Playwright, which need the build. The first failing phase stops the run with its exit code.
import { spawn } from 'node:child_process';
import process from 'node:process';

interface Phase {
  name: string;
  /** npm scripts run one after another within the phase. */
  scripts: string[];
}

/** Phases in a group run at the same time; groups run in order. */
const GROUPS: Phase[][] = [
  [
    { name: 'build', scripts: ['build'] },
    { name: 'typecheck', scripts: ['typecheck:shared', 'typecheck:renderer', 'typecheck:tests'] },
  ],
  [{ name: 'vitest', scripts: ['test:vitest'] }],
  [{ name: 'e2e', scripts: ['test:e2e'] }],
];

interface Outcome {
  phase: string;
  seconds: number;
  code: number;
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function runScript(script: string, buffered: boolean): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(npm, ['run', '--silent', script], { stdio: buffered ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output }));
  });
}

async function runPhase(phase: Phase, buffered: boolean): Promise<Outcome> {
  const started = performance.now();
  let code = 0;
  for (const script of phase.scripts) {
    const result = await runScript(script, buffered);
    if (buffered && result.output) process.stdout.write(`---- ${phase.name}: npm run ${script}\n${result.output}`);
    code = result.code;
    if (code !== 0) break;
  }
  const outcome = { phase: phase.name, seconds: (performance.now() - started) / 1000, code };
  process.stdout.write(`phase ${outcome.phase}: ${outcome.seconds.toFixed(1)} s${code === 0 ? '' : ` (failed, exit code ${code})`}\n`);
  return outcome;
}

const started = performance.now();
const outcomes: Outcome[] = [];
let failed = 0;
for (const group of GROUPS) {
  const results = await Promise.all(group.map((phase) => runPhase(phase, group.length > 1)));
  outcomes.push(...results);
  failed = results.find((r) => r.code !== 0)?.code ?? 0;
  if (failed !== 0) break;
}
const total = (performance.now() - started) / 1000;
process.stdout.write(`\nphase times: ${outcomes.map((o) => `${o.phase} ${o.seconds.toFixed(1)} s`).join(', ')}; npm test ${total.toFixed(1)} s\n`);
process.exitCode = failed;
