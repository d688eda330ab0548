import { z } from 'zod';

/**
 * `window.benchline.saveFile(kind, params)` in the Electron window: the main process writes one of
 * the station's downloads (the same bytes as the HTTP route) to a file the technician picks in a
 * save dialog. The one list of what can be saved; the preload and the main process both check it.
 */
const csvDialect = z.enum(['rfc4180', 'excel-de']).optional();

export const saveFileKinds = {
  /** GET /api/v1/shifts/:id/export */
  shiftExport: z
    .object({
      shiftId: z.string().min(1).max(100),
      format: z.enum(['csv', 'json', 'pdf']),
      dialect: csvDialect,
      locale: z.enum(['de', 'en']).optional(),
    })
    .strict(),
  /** GET /api/v1/units/:id/manifest */
  unitManifest: z
    .object({
      unitId: z.string().min(1).max(100),
      format: z.enum(['csv', 'pdf']),
      dialect: csvDialect,
    })
    .strict(),
  /** GET /api/v1/quarantine?format=csv */
  quarantineList: z
    .object({
      dialect: csvDialect,
      all: z.boolean().optional(),
    })
    .strict(),
} as const;

export type SaveFileKind = keyof typeof saveFileKinds;
export type SaveFileParams<K extends SaveFileKind> = z.infer<(typeof saveFileKinds)[K]>;

export function isSaveFileKind(kind: unknown): kind is SaveFileKind {
  return typeof kind === 'string' && Object.prototype.hasOwnProperty.call(saveFileKinds, kind);
}

/** What saveFile resolves with; errors reject with `{ code, message }` like `invoke`. */
export const saveFileResultSchema = z.union([z.object({ saved: z.string() }).strict(), z.object({ cancelled: z.literal(true) }).strict()]);
export type SaveFileResult = z.infer<typeof saveFileResultSchema>;

/** Checks a save request; the message names what is wrong. */
export function parseSaveFileRequest(
  kind: unknown,
  params: unknown,
): { ok: true; kind: SaveFileKind; params: SaveFileParams<SaveFileKind> } | { ok: false; message: string } {
  if (!isSaveFileKind(kind)) return { ok: false, message: `Unknown file kind "${String(kind)}".` };
  const parsed = saveFileKinds[kind].safeParse(params ?? {});
  if (!parsed.success) {
    return {
      ok: false,
      message: `Invalid parameters for ${kind}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(params)'} ${i.message}`).join('; ')}`,
    };
  }
  return { ok: true, kind, params: parsed.data };
}
