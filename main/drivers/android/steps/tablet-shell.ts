import type { StepContext } from '../../driver.js';
import type { AndroidDevice } from '../android-device.js';

/**
 * Runs a shell command for a step and writes the command and the tablet's full answer to the
 * step's log (the tile shows only the reason line). `shown` replaces the command in the log when
 * it carries a secret.
 */
export async function runLogged(ctx: StepContext, device: AndroidDevice, command: string, shown: string = command): Promise<string> {
  const text = await device.shell(command, ctx.signal);
  const answer = text.trim();
  ctx.log(`$ ${shown}${answer ? `\n${answer.length > 4000 ? `${answer.slice(0, 4000)} …` : answer}` : ''}`);
  return text;
}
