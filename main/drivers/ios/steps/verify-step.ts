import type { StepContext } from '../../driver.js';
import { stepFailed, type StepFailedError } from '../../step-errors.js';
import type { LockdownSession } from '../ios-link.js';
import { supervisionOf } from '../services/cloud-configuration.js';
import { INSTALLATION_PROXY_SERVICE, InstallationProxyClient } from '../services/installation-proxy.js';
import type { IosStepRunner } from './ios-step.js';
import { CAPTURED, capturedList, runIdentityName, supervisionIdentity, withMcInstall, withService, withSession } from './step-support.js';

/**
 * verify: reads the device back and compares it with what this run's earlier steps did. A step
 * gets no blueprint, only the values earlier steps captured, so each service step records what it
 * set up (CAPTURED: the supervision identity and organisation, the profiles installed and removed,
 * the apps with their versions, the name) and verify checks exactly those:
 *  - supervised: supervised with that identity's certificate, for that organisation;
 *  - profiles: each installed profile listed and in force (not waiting for approval), each removed one gone;
 *  - apps: each app installed at the version installed;
 *  - name: DeviceName is the name rename gave.
 * A check with nothing recorded fails (the blueprint asks for a check no step set up: a mistake to
 * see, not a pass that proves nothing); so does a check name verify does not know. The first
 * mismatch fails the step; every mismatch is logged.
 */
export const VERIFY_CHECKS = ['supervised', 'profiles', 'apps', 'name'] as const;
type Check = (typeof VERIFY_CHECKS)[number];

function isCheck(name: string): name is Check {
  return (VERIFY_CHECKS as readonly string[]).includes(name);
}

type Findings = StepFailedError[];

async function checkSupervised(ctx: StepContext, session: LockdownSession, findings: Findings): Promise<void> {
  const organization = ctx.captured[CAPTURED.organization];
  if (!organization) throw stepFailed('ios.verify-no-record', { check: 'supervised' }, false);
  const identity = await supervisionIdentity(ctx, runIdentityName(ctx));
  const config = await withMcInstall(ctx, session, (mc) => mc.cloudConfiguration());
  const found = supervisionOf(config, identity.certificateDer);
  if (!found.byCertificate || found.organization !== organization) findings.push(stepFailed('ios.verify-not-supervised', { organization }, false));
}

async function checkProfiles(ctx: StepContext, session: LockdownSession, findings: Findings): Promise<void> {
  const installed = capturedList(ctx, CAPTURED.profiles);
  const removed = capturedList(ctx, CAPTURED.removedProfiles);
  if (installed.length === 0 && removed.length === 0) throw stepFailed('ios.verify-no-record', { check: 'profiles' }, false);
  const listed = new Map((await withMcInstall(ctx, session, (mc) => mc.profiles())).map((p) => [p.identifier, p]));
  for (const profile of installed) {
    const found = listed.get(profile);
    if (!found) findings.push(stepFailed('ios.verify-profile-missing', { profile }, false));
    else if (!found.active) findings.push(stepFailed('ios.verify-profile-pending', { profile }));
  }
  for (const profile of removed) if (listed.has(profile)) findings.push(stepFailed('ios.verify-profile-present', { profile }, false));
}

async function checkApps(ctx: StepContext, session: LockdownSession, findings: Findings): Promise<void> {
  const expected = capturedList(ctx, CAPTURED.apps).map((entry) => {
    const [bundleId = entry, version = null] = entry.split(' ');
    return { bundleId, version };
  });
  if (expected.length === 0) throw stepFailed('ios.verify-no-record', { check: 'apps' }, false);
  const apps = await withService(ctx, session, INSTALLATION_PROXY_SERVICE, (conn) => new InstallationProxyClient(conn, ctx.signal).browse());
  const byId = new Map(apps.map((a) => [a.bundleId, a]));
  for (const { bundleId, version } of expected) {
    const found = byId.get(bundleId);
    if (!found) findings.push(stepFailed('ios.verify-app-missing', { app: bundleId, expected: version ?? '' }, false));
    else if (version !== null && found.version !== version)
      findings.push(stepFailed('ios.verify-app-version', { app: bundleId, expected: version, found: found.version ?? '?' }, false));
  }
}

async function checkName(ctx: StepContext, session: LockdownSession, findings: Findings): Promise<void> {
  const expected = ctx.captured[CAPTURED.deviceName];
  if (!expected) throw stepFailed('ios.verify-no-record', { check: 'name' }, false);
  const found = await session.getValue(null, 'DeviceName', ctx.signal);
  if (found !== expected) findings.push(stepFailed('ios.verify-name', { expected, found: typeof found === 'string' ? found : '?' }, false));
}

const CHECKS: Record<Check, (ctx: StepContext, session: LockdownSession, findings: Findings) => Promise<void>> = {
  supervised: checkSupervised,
  profiles: checkProfiles,
  apps: checkApps,
  name: checkName,
};

export const verifyStep: IosStepRunner = async (ctx, device, deps) => {
  if (ctx.step.type !== 'verify') throw new Error(`verify runs verify steps, not ${ctx.step.type}`);
  const checks = ctx.step.params.checks;
  const unknown = checks.find((c) => !isCheck(c));
  if (unknown !== undefined) throw stepFailed('ios.verify-unknown-check', { check: unknown, known: VERIFY_CHECKS.join(', ') }, false);
  const findings: Findings = [];
  await withSession(ctx, device, deps, async (session) => {
    for (const check of checks) if (isCheck(check)) await CHECKS[check](ctx, session, findings);
  });
  for (const finding of findings) deps.log('warn', `verify: ${finding.message}`, { udid: device.udid });
  const first = findings[0];
  if (first) throw first;
  return { message: `verified: ${checks.join(', ')}` };
};
