import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { message } from '../../shared/messages/catalogue.js';
import { renderTemplate } from '../../shared/templates/render-template.js';
import { LabelError } from './label-errors.js';

export const SYMBOLOGIES = ['code128', 'datamatrix', 'qr'] as const;
export type Symbology = (typeof SYMBOLOGIES)[number];

const mm = z.number().min(0).max(300);
const elementSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('text'),
      x: mm,
      y: mm,
      /** Character height in mm. */
      size: z.number().min(0.8).max(40),
      text: z.string().min(1),
      bold: z.boolean().default(false),
      /** Cut to this width (mm); the text never runs off the label. */
      maxWidth: mm.optional(),
      optional: z.boolean().default(false),
    })
    .strict(),
  z
    .object({
      type: z.literal('barcode'),
      symbology: z.enum(SYMBOLOGIES),
      x: mm,
      y: mm,
      data: z.string().min(1),
      /** Narrowest bar / module size in mm. */
      module: z.number().min(0.1).max(3).default(0.3),
      /** Bar height for Code 128, mm. */
      height: z.number().min(2).max(100).default(8),
      optional: z.boolean().default(false),
    })
    .strict(),
  z.object({ type: z.literal('box'), x: mm, y: mm, w: mm, h: mm, thickness: z.number().min(0.1).max(5).default(0.3) }).strict(),
]);
export type LabelElement = z.output<typeof elementSchema>;

export const labelTemplateSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
    name: z.string().min(1),
    widthMm: z.number().min(10).max(300),
    heightMm: z.number().min(10).max(300),
    dpi: z.union([z.literal(203), z.literal(300), z.literal(600)]).default(203),
    elements: z.array(elementSchema).min(1),
  })
  .strict();
export type LabelTemplate = z.output<typeof labelTemplateSchema>;

/** A label with every placeholder filled: what the ZPL, SVG and PDF renderers draw. */
export interface ResolvedLabel {
  template: string;
  widthMm: number;
  heightMm: number;
  dpi: number;
  elements: ResolvedElement[];
}
export type ResolvedElement =
  | { type: 'text'; x: number; y: number; size: number; text: string; bold: boolean; maxWidth: number | null }
  | { type: 'barcode'; symbology: Symbology; x: number; y: number; data: string; module: number; height: number }
  | { type: 'box'; x: number; y: number; w: number; h: number; thickness: number };

export type LabelValues = Readonly<Record<string, string | number | null | undefined>>;

/** A template file that is not valid, or a template the station does not have. */
export class LabelTemplateError extends LabelError {
  override name = 'LabelTemplateError';
}

/** A value the label needs is not known for this device (e.g. no asset tag without an order). */
export class LabelValueMissingError extends LabelError {
  override name = 'LabelValueMissingError';
  constructor(
    readonly template: string,
    readonly missing: string[],
  ) {
    super(message('label.value-missing', { template, fields: missing.map((m) => `{${m}}`).join(', ') }));
  }
}

export function parseLabelTemplate(json: unknown, source: string): LabelTemplate {
  const parsed = labelTemplateSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(template)'}: ${i.message}`).join('; ');
    throw new LabelTemplateError(message('label.template-invalid', { source, issues }));
  }
  return parsed.data;
}

/** Label templates from a folder of JSON files (resources/labels), by id. */
export function loadLabelTemplates(dir: string): Map<string, LabelTemplate> {
  const out = new Map<string, LabelTemplate>();
  if (!fs.existsSync(dir)) return out;
  for (const f of fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .sort()) {
    const file = path.join(dir, f);
    let json: unknown;
    try {
      json = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new LabelTemplateError(message('label.template-json', { file, detail: (err as Error).message }));
    }
    const t = parseLabelTemplate(json, file);
    out.set(t.id, t);
  }
  return out;
}

/** Fills the placeholders; optional elements without their value are left out, others are an error. */
export function resolveLabel(t: LabelTemplate, values: LabelValues): ResolvedLabel {
  const missing = new Set<string>();
  const elements: ResolvedElement[] = [];
  for (const e of t.elements) {
    if (e.type === 'box') {
      elements.push(e);
      continue;
    }
    const r = renderTemplate(e.type === 'text' ? e.text : e.data, values);
    if (r.missing.length) {
      if (e.optional) continue;
      for (const m of r.missing) missing.add(m);
      continue;
    }
    if (e.type === 'text') elements.push({ type: 'text', x: e.x, y: e.y, size: e.size, text: r.text, bold: e.bold, maxWidth: e.maxWidth ?? null });
    else elements.push({ type: 'barcode', symbology: e.symbology, x: e.x, y: e.y, data: r.text, module: e.module, height: e.height });
  }
  if (missing.size) throw new LabelValueMissingError(t.id, [...missing]);
  return { template: t.id, widthMm: t.widthMm, heightMm: t.heightMm, dpi: t.dpi, elements };
}
