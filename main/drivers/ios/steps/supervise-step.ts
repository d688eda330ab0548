import { stepFailed } from '../../step-errors.js';
import { AFC_SERVICE, AfcClient } from '../services/afc-client.js';
import { SKIP_SETUP_DIRECTORY, SKIP_SETUP_FILE, supervisedConfiguration, supervisionOf } from '../services/cloud-configuration.js';
import { DEFAULT_SUPERVISION_IDENTITY, type IosStepRunner } from './ios-step.js';
import { CAPTURED, supervisionIdentity, withMcInstall, withService, withSession } from './step-support.js';

/**
 * supervise: SetCloudConfiguration in Setup Assistant (go-ios prepare.go and pymobiledevice3
 * `supervise` both do Flush, GetCloudConfiguration, HelloHostIdentifier, SetCloudConfiguration).
 * Leaving Setup Assistant (`finishSetup`) takes both public tools' ways: pymobiledevice3's "UI
 * complete" flags in the configuration, then go-ios's empty iTunes_Control/iTunes/SkipSetup file
 * over AFC; which one a given iPadOS honours is not known here, and each is harmless to the other.
 * A device already supervised by this identity is done (run again after a crash); any other
 * configuration makes the device answer 14002: "Schon eingerichtet: erst löschen".
 */
export const superviseStep: IosStepRunner = async (ctx, device, deps) => {
  if (ctx.step.type !== 'supervise') throw new Error(`supervise runs supervise steps, not ${ctx.step.type}`);
  const params = ctx.step.params;
  const identity = await supervisionIdentity(ctx, params.identity ?? DEFAULT_SUPERVISION_IDENTITY);
  const captured = { [CAPTURED.supervisionIdentity]: identity.name, [CAPTURED.organization]: params.organization };

  const done = await withSession(ctx, device, deps, async (session) => {
    const state = await session.getValue(null, 'ActivationState', ctx.signal);
    if (state === 'Unactivated') throw stepFailed('ios.not-activated', { step: ctx.step.id, reason: `ActivationState ${state}` }, false);
    return withMcInstall(ctx, session, async (mc) => {
      await mc.flush();
      if (supervisionOf(await mc.cloudConfiguration(), identity.certificateDer).byCertificate) {
        deps.log('info', 'supervise: already supervised by this identity', { udid: device.udid, identity: identity.name });
        return true;
      }
      await mc.hello();
      await mc.setCloudConfiguration(
        supervisedConfiguration({
          organization: params.organization,
          supervisorCertificate: identity.certificateDer,
          skipSetup: params.skipSetup,
          allowPairing: params.allowPairing,
          finishSetup: params.finishSetup,
        }),
      );
      await mc.hello();
      if (!supervisionOf(await mc.cloudConfiguration(), identity.certificateDer).byCertificate) {
        throw stepFailed('ios.mcinstall-failed', {
          step: ctx.step.id,
          request: 'SetCloudConfiguration',
          reason: 'acknowledged, but GetCloudConfiguration does not show the supervision',
        });
      }
      return false;
    });
  });
  if (params.finishSetup) {
    await withSession(ctx, device, deps, (session) =>
      withService(ctx, session, AFC_SERVICE, async (conn) => {
        const afc = await AfcClient.open(conn, ctx.signal);
        await afc.makeDirectory(SKIP_SETUP_DIRECTORY);
        await afc.writeFile(SKIP_SETUP_FILE, Buffer.alloc(0));
      }),
    );
  }
  deps.log('info', `supervise: ${done ? 'was' : 'now'} supervised for ${params.organization}`, { udid: device.udid });
  return { captured, message: done ? 'already supervised by this station' : undefined };
};
