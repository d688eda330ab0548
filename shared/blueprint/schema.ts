import safeRegex from 'safe-regex2';
import { z } from 'zod';
import { PLATFORMS } from '../contract/run-state.js';
import { parseDuration } from './duration.js';

/** Step types a blueprint may use (ARCHITECTURE.md, "Blueprint"). */
export const STEP_TYPES = [
  'identify',
  'wait-for-trust',
  'battery',
  'erase',
  'activate',
  'supervise',
  'enroll-mdm',
  'install-profile',
  'remove-profile',
  'install-app',
  'install-apk',
  'rename',
  'wifi',
  'set-device-owner',
  'settings',
  'qr-provisioning',
  'serial-script',
  'serial-verify',
  'manual-check',
  'restart',
  'reboot',
  'verify',
  'print-label',
  'pack',
] as const;
export type StepType = (typeof STEP_TYPES)[number];

const slug = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'use lower-case letters, digits and dashes, e.g. "install-profile-wifi"');

const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === null || ms <= 0) {
    ctx.addIssue({ code: 'custom', message: 'expected a duration such as "30s", "10m" or "1h30m"' });
    return z.NEVER;
  }
  return ms;
});

/** A text shown to technicians: one string, or one per language. */
const localizedText = z.union([z.string().min(1), z.object({ de: z.string().min(1), en: z.string().min(1) }).strict()]);
export type LocalizedText = z.infer<typeof localizedText>;

export const serialPortSettings = z
  .object({
    baudRate: z.number().int().positive().default(115200),
    dataBits: z.union([z.literal(5), z.literal(6), z.literal(7), z.literal(8)]).default(8),
    parity: z.enum(['none', 'even', 'odd', 'mark', 'space']).default('none'),
    stopBits: z.union([z.literal(1), z.literal(1.5), z.literal(2)]).default(1),
    lineEnding: z.enum(['\n', '\r\n', '\r']).default('\r\n'),
  })
  .strict();

/**
 * A regular expression a blueprint matches device output with. Patterns that can backtrack
 * exponentially (nested repetition such as `(\w+)+`) are refused: one of them blocked the
 * station for 20 s on a single answer. The check is safe-regex2's star-height test; it also
 * refuses syntax it cannot read (lookbehind), which a blueprint can always write another way.
 * The driver still bounds every match in time (main/drivers/serial/bounded-match.ts).
 */
const regexText = z.string().superRefine((text, ctx) => {
  try {
    new RegExp(text);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'not a valid regular expression' });
    return;
  }
  if (!safeRegex(text)) {
    ctx.addIssue({
      code: 'custom',
      message:
        'this regular expression can take exponential time on some device answers (a repetition inside a repetition, e.g. "(\\w+)+"); write it without nested repetition, e.g. "\\w+"',
    });
  }
});

/**
 * Device answers that mean the command failed: an expect that sees one fails at once instead of
 * waiting for its timeout. Per step (`errorPattern`) or for the whole serial blueprint
 * (`serialErrorPattern`); `false` turns it off. The driver uses "^ERROR" when neither is set.
 */
const errorPattern = z.union([regexText, z.literal(false)]);
export const DEFAULT_SERIAL_ERROR_PATTERN = '^ERROR';

const serialScriptLine = z
  .object({
    send: z.string().optional(),
    expect: regexText.optional(),
    timeout: duration.prefault('5s'),
    retries: z.number().int().min(0).max(10).default(0),
  })
  .strict()
  .refine((line) => line.send !== undefined || line.expect !== undefined, {
    message: 'a script line needs "send", "expect" or both',
  });

const noParams = z.object({}).strict().default({});

/** A serial script's named captures: `(?<serialNumber>...)`. */
export function scriptCaptureNames(script: readonly { expect?: string | undefined }[]): string[] {
  return script.flatMap((line) => [...(line.expect ?? '').matchAll(/\(\?<([A-Za-z_$][\w$]*)>/g)].map((m) => m[1] as string));
}

/** Parameters per step type; unknown keys are refused so a typo is an error, not a silent no-op. */
const paramsByType = {
  // On serial devices identify may run a script: the station runs it when a port appears, to learn
  // the device's serial number (captured as "serialNumber") before the run starts.
  identify: z
    .object({ port: serialPortSettings.optional(), script: z.array(serialScriptLine).min(1).optional(), errorPattern: errorPattern.optional() })
    .strict()
    .default({}),
  // `identity`: the supervision identity (a station secret) that pairs without the Trust tap on devices it supervises.
  'wait-for-trust': z.object({ identity: slug.optional() }).strict().default({}),
  // Waits (with the instruction to charge) until the battery holds this much; erase and installs need power.
  battery: z
    .object({ minPercent: z.number().int().min(1).max(100).default(30) })
    .strict()
    .default({ minPercent: 30 }),
  erase: noParams,
  activate: noParams,
  // `identity`, `secret`: names of station secrets (benchline secrets ...), never the values themselves.
  supervise: z
    .object({
      organization: z.string().min(1),
      identity: slug.optional(),
      // Setup Assistant panes to skip (Apple's SkipSetup keys, e.g. "Location", "Privacy"), or all of them.
      skipSetup: z.union([z.literal('all'), z.array(z.string().min(1))]).default('all'),
      // Whether other computers may pair with the device later (Apple Configurator's "Allow devices to pair").
      allowPairing: z.boolean().default(true),
      // Whether the device leaves Setup Assistant after the step; false keeps it there for the user.
      finishSetup: z.boolean().default(true),
    })
    .strict(),
  // The MDM's enrollment profile, from the library; installed silently on a device this station supervises.
  'enroll-mdm': z.object({ profile: z.string().min(1) }).strict(),
  'install-profile': z.object({ profile: z.string().min(1) }).strict(),
  // The profile's PayloadIdentifier as installed on the device.
  'remove-profile': z.object({ profile: z.string().min(1) }).strict(),
  'install-app': z.object({ app: z.string().min(1), version: z.string().optional() }).strict(),
  // Android's name for install-app: an APK (or split APKs) from the library.
  'install-apk': z.object({ app: z.string().min(1), version: z.string().optional() }).strict(),
  rename: z.object({ template: z.string().min(1) }).strict(),
  wifi: z.object({ ssid: z.string().min(1), security: z.enum(['open', 'wpa2', 'wpa3']).default('wpa2'), secret: slug.optional() }).strict(),
  'set-device-owner': z.object({ component: z.string().min(1) }).strict(),
  // Android settings (`settings put NAMESPACE KEY VALUE`), read back after writing.
  settings: z
    .object({
      values: z
        .array(z.object({ namespace: z.enum(['system', 'secure', 'global']), key: z.string().regex(/^[A-Za-z0-9_.]+$/), value: z.string() }).strict())
        .min(1),
    })
    .strict(),
  // Over-the-air enrollment: the station shows the QR provisioning payload and the technician confirms by scan.
  'qr-provisioning': z
    .object({
      // The DPC's package in the library (its signature checksum is computed from the APK) and its admin receiver.
      dpc: z.string().min(1),
      component: z.string().min(1),
      downloadUrl: z.string().url(),
      wifi: z
        .object({ ssid: z.string().min(1), security: z.enum(['open', 'wpa2', 'wpa3']).default('wpa2'), secret: slug.optional() })
        .strict()
        .optional(),
      locale: z.string().optional(),
      timeZone: z.string().optional(),
      leaveAllSystemAppsEnabled: z.boolean().default(false),
      adminExtras: z.record(z.string(), z.string()).optional(),
    })
    .strict(),
  'serial-script': z
    .object({ port: serialPortSettings.prefault({}), script: z.array(serialScriptLine).min(1), errorPattern: errorPattern.optional() })
    .strict(),
  'serial-verify': z
    .object({
      port: serialPortSettings.prefault({}),
      script: z.array(serialScriptLine).min(1),
      expectCaptured: z.record(z.string(), z.string()).default({}),
      errorPattern: errorPattern.optional(),
    })
    .strict(),
  'manual-check': z.object({ prompt: localizedText }).strict(),
  restart: noParams,
  // Android: reboot and wait until sys.boot_completed (an expected disconnect).
  reboot: noParams,
  verify: z.object({ checks: z.array(z.string().min(1)).default([]) }).strict(),
  'print-label': z
    .object({ template: z.string().min(1).default('device-asset') })
    .strict()
    .default({ template: 'device-asset' }),
  pack: noParams,
} satisfies Record<StepType, z.ZodType>;

const stepCommon = {
  id: slug,
  label: localizedText.optional(),
  timeout: duration.prefault('5m'),
  retries: z.number().int().min(0).max(10).default(0),
  backoff: duration.prefault('2s'),
  /** Whether the step waits for a free lane (erase and app installs do by default; see main/pipeline/lanes.ts). */
  heavy: z.boolean().optional(),
};

const stepSchemas = STEP_TYPES.map((type) => z.object({ ...stepCommon, type: z.literal(type), params: paramsByType[type] }).strict());

export const blueprintStepSchema: z.ZodType<BlueprintStep, unknown> = z.discriminatedUnion(
  'type',
  stepSchemas as unknown as [(typeof stepSchemas)[number], ...(typeof stepSchemas)[number][]],
) as unknown as z.ZodType<BlueprintStep, unknown>;
/** One step of a blueprint: `type` narrows `params`. Durations are milliseconds after parsing. */
export type BlueprintStep = {
  [T in StepType]: {
    id: string;
    type: T;
    label?: LocalizedText | undefined;
    timeout: number;
    retries: number;
    backoff: number;
    params: z.output<(typeof paramsByType)[T]>;
    /** Set when a baseline requires the step: it cannot be skipped or changed. */
    mandatory?: boolean;
    /** Overrides whether the step waits for a free lane (by default erase and app installs do). */
    heavy?: boolean | undefined;
  };
}[StepType];

function uniqueStepIds(steps: { id: string }[], ctx: z.RefinementCtx): void {
  const seen = new Map<string, number>();
  steps.forEach((step, index) => {
    const first = seen.get(step.id);
    if (first !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['steps', index, 'id'], message: `step id "${step.id}" is used twice (first at steps[${first}])` });
    } else seen.set(step.id, index);
  });
}

/** Step types a serial device cannot do: they belong to tablets. */
const NOT_ON_SERIAL: readonly StepType[] = [
  'wait-for-trust',
  'battery',
  'erase',
  'activate',
  'supervise',
  'enroll-mdm',
  'install-profile',
  'remove-profile',
  'install-app',
  'wifi',
  'set-device-owner',
  'restart',
  'install-apk',
  'settings',
  'qr-provisioning',
  'reboot',
];

/** Serial steps only on serial blueprints, tablet steps not on them, and an identify script that yields the serial number. */
function serialStepsFit(platform: string, steps: readonly BlueprintStep[], ctx: z.RefinementCtx): void {
  steps.forEach((step, index) => {
    if (platform !== 'serial') {
      if (step.type === 'serial-script' || step.type === 'serial-verify') {
        ctx.addIssue({
          code: 'custom',
          path: ['steps', index, 'type'],
          message: `"${step.type}" runs on serial devices only; this blueprint is for platform ${platform}`,
        });
      }
      if (step.type === 'identify' && (step.params.script || step.params.port)) {
        ctx.addIssue({
          code: 'custom',
          path: ['steps', index, 'params'],
          message: `an identify script is for serial devices only; this blueprint is for platform ${platform}`,
        });
      }
      return;
    }
    if (NOT_ON_SERIAL.includes(step.type)) {
      ctx.addIssue({ code: 'custom', path: ['steps', index, 'type'], message: `"${step.type}" cannot run on a serial device; use serial-script steps` });
    }
    if (step.type === 'identify' && step.params.script && !scriptCaptureNames(step.params.script).includes('serialNumber')) {
      ctx.addIssue({
        code: 'custom',
        path: ['steps', index, 'params', 'script'],
        message: 'the identify script must capture the serial number, e.g. expect: "serial=(?<serialNumber>\\w+)"; the station tells devices apart by it',
      });
    }
  });
}

const SERIAL_STEP_TYPES: readonly StepType[] = ['identify', 'serial-script', 'serial-verify'];

/** A serial step gets the blueprint's error pattern unless it names its own; the merged steps carry it to the driver. */
function withErrorPattern(step: BlueprintStep, pattern: string | false): BlueprintStep {
  if (!SERIAL_STEP_TYPES.includes(step.type) || 'errorPattern' in step.params) return step;
  return { ...step, params: { ...step.params, errorPattern: pattern } } as BlueprintStep;
}

/** A customer blueprint file. */
export const blueprintFileSchema = z
  .object({
    kind: z.literal('blueprint').default('blueprint'),
    id: slug,
    name: z.string().min(1),
    version: z.number().int().min(1),
    platform: z.enum(PLATFORMS),
    baseline: slug.optional(),
    naming: z.string().min(1).optional(),
    description: z.string().optional(),
    /** The error answers of every serial step that does not name its own `errorPattern`. */
    serialErrorPattern: errorPattern.optional(),
    steps: z.array(blueprintStepSchema).min(1),
  })
  .strict()
  .superRefine((bp, ctx) => {
    uniqueStepIds(bp.steps, ctx);
    serialStepsFit(bp.platform, bp.steps, ctx);
  })
  .transform((bp) =>
    bp.serialErrorPattern === undefined ? bp : { ...bp, steps: bp.steps.map((s) => withErrorPattern(s, bp.serialErrorPattern as string | false)) },
  );
export type BlueprintFile = z.infer<typeof blueprintFileSchema>;

/** A policy baseline: steps every blueprint that names it gets, and cannot drop or change. */
export const baselineFileSchema = z
  .object({
    kind: z.literal('baseline'),
    id: slug,
    name: z.string().min(1),
    platform: z.enum(PLATFORMS),
    steps: z
      .array(
        z
          .object({
            before: z.enum(STEP_TYPES).describe('the required step is placed before the first step of this type'),
            step: blueprintStepSchema,
          })
          .strict(),
      )
      .min(1),
  })
  .strict();
export type BaselineFile = z.infer<typeof baselineFileSchema>;

/** A device-library item a variant needs (the library resolves it; the blueprint only carries it). */
export const libraryItemSchema = z.object({ id: z.string().min(1), version: z.string().min(1).optional() }).strict();
export type LibraryItem = z.infer<typeof libraryItemSchema>;

/** What a variant may change in one inherited step; `params` are merged key by key into the parent's. */
const stepOverrideSchema = z
  .object({
    label: localizedText.optional(),
    timeout: duration.optional(),
    retries: z.number().int().min(0).max(10).optional(),
    backoff: duration.optional(),
    params: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type StepOverride = z.infer<typeof stepOverrideSchema>;

/**
 * A customer variant of a blueprint (`kind: variant`, or any file with `extends:`): the parent's
 * steps with some added, removed or overridden, and its own naming and library items. Steps a
 * baseline requires can be neither removed nor overridden (main/blueprints/blueprint-variants.ts).
 */
export const variantFileSchema = z
  .object({
    kind: z.literal('variant').default('variant'),
    id: slug,
    name: z.string().min(1),
    version: z.number().int().min(1),
    extends: slug,
    naming: z.string().min(1).optional(),
    description: z.string().optional(),
    library: z.array(libraryItemSchema).optional(),
    add: z
      .array(
        z
          .object({ after: slug.optional(), before: slug.optional(), step: blueprintStepSchema })
          .strict()
          .refine((a) => (a.after === undefined) !== (a.before === undefined), {
            message: 'an added step needs exactly one of "after: STEP-ID" or "before: STEP-ID"',
          }),
      )
      .default([]),
    remove: z.array(slug).default([]),
    override: z.record(slug, stepOverrideSchema).default({}),
  })
  .strict();
export type VariantFile = z.infer<typeof variantFileSchema>;

/** A blueprint after its baseline is merged in: what a run executes. */
export interface Blueprint {
  id: string;
  name: string;
  version: number;
  platform: BlueprintFile['platform'];
  baseline: string | null;
  naming: string | null;
  steps: BlueprintStep[];
  /** Set on a variant: the blueprint (or variant) it was made from. */
  extends?: string;
  /** Device-library items a variant needs, carried to the library unchanged. */
  library?: LibraryItem[];
  /** sha-256 of the merged definition: the same id+version must never mean two things. */
  hash: string;
}

/** Both languages of a blueprint text; a single string serves both. */
export function labelPair(text: LocalizedText | undefined, fallback: string): { de: string; en: string } {
  if (text === undefined) return { de: fallback, en: fallback };
  return typeof text === 'string' ? { de: text, en: text } : { de: text.de, en: text.en };
}
