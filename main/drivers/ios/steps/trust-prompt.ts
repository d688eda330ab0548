import type { WaitReason } from '../../../../shared/contract/run-state.js';
import { message, type Message } from '../../../../shared/messages/catalogue.js';
import type { StepContext } from '../../driver.js';
import { StepFailedError, sleep, stepFailed } from '../../step-errors.js';
import { IosLinkError, type IosDevice, type LockdownSession, type SupervisorIdentity } from '../ios-link.js';
import { DEFAULT_SUPERVISION_IDENTITY, type IosStepDeps } from './ios-step.js';

/** How often a locked device (PasswordProtected) is asked again to pair while its tile says "unlock". */
const UNLOCK_POLL_MS = 2000;

/**
 * One instruction at a time on the device's tile while a step waits at the device. The run's
 * machine takes one wait at a time, so switching (Trust prompt -> unlock) first ends the wait shown.
 */
export class TileWait {
  private current: { key: string; release(): void; ended: Promise<void> } | null = null;
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly ctx: StepContext) {}

  show(key: string, reason: WaitReason, text: Message): void {
    this.chain = this.chain.then(async () => {
      if (this.current?.key === key) return;
      await this.endNow();
      let release!: () => void;
      const until = new Promise<void>((resolve) => (release = resolve));
      const ended = this.ctx.waitFor(reason, text, until).then(
        () => undefined,
        () => undefined,
      );
      this.current = { key, release, ended };
    });
  }

  /** Ends the wait shown, if any; resolves once the run has it. */
  end(): Promise<void> {
    this.chain = this.chain.then(() => this.endNow());
    return this.chain;
  }

  private async endNow(): Promise<void> {
    const shown = this.current;
    if (!shown) return;
    this.current = null;
    shown.release();
    await shown.ended;
  }
}

/** "Tippe auf dem iPad in Steckplatz A7 auf „Vertrauen“"; without a slot the general instruction. */
export function trustMessage(slot: string | null | undefined): Message {
  return slot ? message('ios.trust', { slot }) : message('wait.trust-ios');
}

function unlockMessage(slot: string | null | undefined): Message {
  return slot ? message('ios.unlock', { slot }) : message('ios.unlock-any');
}

/**
 * The supervision identity to pair with: the one the step names, else the station's default
 * secret. A named identity the station lacks fails the step (the blueprint asked for it); the
 * default one missing just means pairing with the Trust tap.
 */
export async function supervisionIdentity(ctx: StepContext, named: string | undefined): Promise<SupervisorIdentity | undefined> {
  const name = named ?? DEFAULT_SUPERVISION_IDENTITY;
  if (!ctx.secret) return undefined;
  let value;
  try {
    value = await ctx.secret(name);
  } catch (err) {
    if (!named && err instanceof StepFailedError && err.code === 'secret.missing') return undefined;
    throw err;
  }
  if (value.kind !== 'identity') throw stepFailed('secret.wrong-kind', { name, kind: value.kind, expected: 'identity' }, false);
  return { certificatePem: value.certificatePem, privateKeyPem: value.privateKeyPem };
}

/**
 * Pairs the device unless it is paired: supervised (no tap) when the station holds the identity
 * that supervises it, else with the Trust prompt, the tile naming the slot while it shows. A
 * locked device (PasswordProtected) is asked again until it is unlocked; its tile says so.
 * Resolves true when it had to pair.
 */
export async function ensurePaired(ctx: StepContext, device: IosDevice, deps: IosStepDeps, identityName?: string): Promise<boolean> {
  if (await device.isPaired(ctx.signal)) return false;
  const supervisor = await supervisionIdentity(ctx, identityName);
  const tile = new TileWait(ctx);
  try {
    for (;;) {
      try {
        await device.pair({
          signal: ctx.signal,
          onTrustPrompt: () => tile.show('trust', 'trust', trustMessage(ctx.slot)),
          ...(supervisor ? { supervisor } : {}),
        });
        deps.log('info', `paired ${device.udid}`, { serial: ctx.serial, supervised: supervisor !== undefined });
        return true;
      } catch (err) {
        if (!(err instanceof IosLinkError && err.kind === 'password-protected')) throw err;
        tile.show('unlock', 'trust', unlockMessage(ctx.slot));
        await sleep(UNLOCK_POLL_MS, ctx.signal);
      }
    }
  } finally {
    await tile.end();
  }
}

/** A lockdown session, pairing first when the device is not paired (an erased device forgot the station). */
export async function pairedSession(ctx: StepContext, device: IosDevice, deps: IosStepDeps): Promise<LockdownSession> {
  try {
    return await device.session(ctx.signal);
  } catch (err) {
    if (!(err instanceof IosLinkError) || !['not-paired', 'invalid-host-id', 'tls-failed'].includes(err.kind)) throw err;
  }
  await ensurePaired(ctx, device, deps);
  return device.session(ctx.signal);
}
