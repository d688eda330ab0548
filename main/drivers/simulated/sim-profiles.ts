import fs from 'node:fs';
import { z } from 'zod';
import { PLATFORMS } from '../../../shared/contract/run-state.js';

const platformProfile = z.object({
  models: z.array(z.object({ model: z.string(), osVersion: z.string(), serialPrefix: z.string().regex(/^[A-Z0-9]{2,4}$/) })).min(1),
  trustSeconds: z.number().min(0),
  /** How long a device is away while it restarts after an erase or a restart step; 0 or absent: it does not leave the bus. */
  restartSeconds: z.number().min(0).optional(),
  /** Seconds a low device charges per percent while a battery step waits (absent: the driver's default). */
  chargeSecondsPerPercent: z.number().min(0).optional(),
  steps: z.record(z.string(), z.number().min(0)),
});

export const simProfilesSchema = z.object({
  platforms: z.record(z.enum(PLATFORMS), platformProfile),
  defaultStepSeconds: z.number().min(0),
  lowBatteryShare: z.number().min(0).max(1),
  /** Ignored: the failure texts are in the message catalogue (shared/messages); kept so older profile files still load. */
  failureMessages: z.record(z.string(), z.string()).optional(),
});
export type SimProfiles = z.infer<typeof simProfilesSchema>;

export function loadSimProfiles(file: string): SimProfiles {
  const parsed = simProfilesSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}
