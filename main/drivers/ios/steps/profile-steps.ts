import fs from 'node:fs/promises';
import { message } from '../../../../shared/messages/catalogue.js';
import type { StepContext, StepOutcome } from '../../driver.js';
import { sleep, stepFailed } from '../../step-errors.js';
import type { IosDevice } from '../ios-link.js';
import { iosStepError } from '../ios-errors.js';
import { supervisionOf } from '../services/cloud-configuration.js';
import type { DeviceProfile, McInstallClient } from '../services/mcinstall-client.js';
import { profileIdentity, wifiProfile, type ProfileIdentity } from '../services/profile-payload.js';
import type { IosStepDeps, IosStepRunner } from './ios-step.js';
import {
  CAPTURED,
  capturedList,
  listWith,
  listWithout,
  optionalIdentity,
  runIdentityName,
  withMcInstall,
  withSession,
  type StationIdentity,
} from './step-support.js';

/** How often GetProfileList is asked while a profile waits for the user's approval in Settings. */
export const APPROVAL_POLL_MS = 1_000;

/** How a profile may go on: only silently (MDM enrollment), or silently when supervised by us and with the user's approval otherwise. */
type InstallMode = 'silent-only' | 'silent-or-approval';

/** The profile as listed, when it is the same profile (same identifier, and same PayloadUUID when both are known). */
function listedAs(profiles: readonly DeviceProfile[], who: ProfileIdentity): DeviceProfile | null {
  const listed = profiles.find((p) => p.identifier === who.identifier);
  if (!listed) return null;
  return who.uuid === null || listed.uuid === null || listed.uuid === who.uuid ? listed : null;
}

/** Polls until the profile is in force; the tile shows "Profil in Einstellungen bestätigen" meanwhile. */
async function untilApproved(ctx: StepContext, deps: IosStepDeps, mc: McInstallClient, who: ProfileIdentity): Promise<void> {
  const approved = (async () => {
    for (;;) {
      const listed = listedAs(await mc.profiles(), who);
      if (!listed)
        throw stepFailed('ios.profile-refused', { step: ctx.step.id, profile: who.identifier, reason: 'the user removed it instead of approving it' });
      if (listed.active) return;
      await sleep(Math.min(deps.pollMs ?? APPROVAL_POLL_MS, APPROVAL_POLL_MS), ctx.signal);
    }
  })();
  await ctx.waitFor('technician', message('ios.wait-profile-approval', { profile: who.displayName ?? who.identifier }), approved);
}

/** Our identity when the device is supervised with it, else null (never asks for a secret an unsupervised device does not need). */
async function supervisingIdentity(ctx: StepContext, mc: McInstallClient): Promise<{ identity: StationIdentity | null; organization: string | null }> {
  const config = await mc.cloudConfiguration();
  const organization = supervisionOf(config, null).organization;
  if (!supervisionOf(config, null).supervised) return { identity: null, organization: null };
  const identity = await optionalIdentity(ctx, runIdentityName(ctx));
  return { identity: identity && supervisionOf(config, identity.certificateDer).byCertificate ? identity : null, organization };
}

/**
 * Installs a profile the way the device allows: silently (Escalate with the supervision identity,
 * then InstallProfileSilent) on a device this station supervises; otherwise InstallProfile, and the
 * run waits until the user has approved it in Settings. Already in force: done. Listed but not yet
 * approved (a run interrupted while waiting): it waits again.
 */
async function installProfile(
  ctx: StepContext,
  device: IosDevice,
  deps: IosStepDeps,
  payload: Buffer,
  who: ProfileIdentity,
  mode: InstallMode,
): Promise<StepOutcome> {
  const captured = {
    [CAPTURED.profiles]: listWith(capturedList(ctx, CAPTURED.profiles), who.identifier),
    [CAPTURED.removedProfiles]: listWithout(capturedList(ctx, CAPTURED.removedProfiles), who.identifier),
  };
  await withSession(ctx, device, deps, (session) =>
    withMcInstall(ctx, session, async (mc) => {
      const listed = listedAs(await mc.profiles(), who);
      if (listed?.active) return;
      if (!listed) {
        const { identity, organization } = await supervisingIdentity(ctx, mc);
        if (identity) {
          await mc.escalate(identity);
          await mc.installProfileSilent(payload);
        } else if (mode === 'silent-only') {
          throw organization !== null
            ? stepFailed('ios.supervised-by-other', { step: ctx.step.id, organization }, false)
            : stepFailed('ios.enroll-not-supervised', { step: ctx.step.id }, false);
        } else {
          await mc.installProfile(payload);
        }
      }
      const now = listedAs(await mc.profiles(), who);
      if (!now) throw stepFailed('ios.profile-refused', { step: ctx.step.id, profile: who.identifier, reason: 'acknowledged, but not in GetProfileList' });
      if (!now.active) await untilApproved(ctx, deps, mc, who);
    }),
  ).catch((err: unknown) => {
    throw iosStepError(err, ctx, { profile: who.identifier });
  });
  return { captured };
}

async function libraryProfile(ctx: StepContext, identifier: string): Promise<{ payload: Buffer; who: ProfileIdentity }> {
  if (!ctx.libraryItem) throw stepFailed('library.missing', { kind: message('library.kind.profile'), identifier }, false);
  const item = await ctx.libraryItem({ kind: 'profile', identifier });
  const payload = await fs.readFile(item.path);
  const read = profileIdentity(payload);
  return { payload, who: { identifier: item.identifier, uuid: read?.uuid ?? null, displayName: item.displayName ?? read?.displayName ?? null } };
}

/** enroll-mdm: the MDM's enrollment profile from the library, silently, on a device this station supervises; any other device is refused. */
export const enrollMdmStep: IosStepRunner = async (ctx, device, deps) => {
  if (ctx.step.type !== 'enroll-mdm') throw new Error(`enroll-mdm runs enroll-mdm steps, not ${ctx.step.type}`);
  const { payload, who } = await libraryProfile(ctx, ctx.step.params.profile);
  return installProfile(ctx, device, deps, payload, who, 'silent-only');
};

/** install-profile: a library profile, silently when supervised by us, else with the user's approval. */
export const installProfileStep: IosStepRunner = async (ctx, device, deps) => {
  if (ctx.step.type !== 'install-profile') throw new Error(`install-profile runs install-profile steps, not ${ctx.step.type}`);
  const { payload, who } = await libraryProfile(ctx, ctx.step.params.profile);
  return installProfile(ctx, device, deps, payload, who, 'silent-or-approval');
};

/**
 * wifi: a com.apple.wifi.managed profile from the blueprint (SSID, security) and the named Wi-Fi
 * secret's password, installed like install-profile. Without a secret the iPad asks for the
 * password when it first joins.
 */
export const wifiStep: IosStepRunner = async (ctx, device, deps) => {
  if (ctx.step.type !== 'wifi') throw new Error(`wifi runs wifi steps, not ${ctx.step.type}`);
  const { ssid, security, secret } = ctx.step.params;
  let password: string | null = null;
  if (secret !== undefined && security !== 'open') {
    if (!ctx.secret) throw stepFailed('secret.missing', { name: secret }, false);
    const value = await ctx.secret(secret);
    if (value.kind === 'wifi') password = value.password;
    else if (value.kind === 'text') password = value.text;
    else throw stepFailed('secret.wrong-kind', { name: secret, kind: value.kind, expected: 'wifi' }, false);
  }
  const { payload, identity } = wifiProfile({ ssid, security, password });
  return installProfile(ctx, device, deps, payload, identity, 'silent-or-approval');
};

/**
 * remove-profile: by PayloadIdentifier; a profile that is not there is done. On a device we
 * supervise the connection is escalated first, so profiles the supervisor locked can go too.
 */
export const removeProfileStep: IosStepRunner = async (ctx, device, deps) => {
  if (ctx.step.type !== 'remove-profile') throw new Error(`remove-profile runs remove-profile steps, not ${ctx.step.type}`);
  const identifier = ctx.step.params.profile;
  await withSession(ctx, device, deps, (session) =>
    withMcInstall(ctx, session, async (mc) => {
      const listed = (await mc.profiles()).find((p) => p.identifier === identifier);
      if (!listed) return;
      const { identity } = await supervisingIdentity(ctx, mc);
      if (identity) await mc.escalate(identity);
      await mc.removeProfile(listed);
      if ((await mc.profiles()).some((p) => p.identifier === identifier))
        throw stepFailed('ios.profile-remove-refused', { profile: identifier, reason: 'acknowledged, but still in GetProfileList' }, false);
    }),
  ).catch((err: unknown) => {
    throw iosStepError(err, ctx, { profile: identifier });
  });
  return {
    captured: {
      [CAPTURED.profiles]: listWithout(capturedList(ctx, CAPTURED.profiles), identifier),
      [CAPTURED.removedProfiles]: listWith(capturedList(ctx, CAPTURED.removedProfiles), identifier),
    },
  };
};
