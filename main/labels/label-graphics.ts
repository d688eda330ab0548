import bwipjs from 'bwip-js';
import PDFDocument from 'pdfkit';
import type { ResolvedElement, ResolvedLabel } from './label-template.js';

const BCID = { code128: 'code128', datamatrix: 'datamatrix', qr: 'qrcode' } as const;
type BarcodeElement = Extract<ResolvedElement, { type: 'barcode' }>;

function xml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** Size of a barcode on the label in mm: bwip-js draws two units per module. */
function barcodeBox(e: BarcodeElement, viewW: number, viewH: number): { w: number; h: number } {
  const w = (viewW / 2) * e.module;
  return { w, h: e.symbology === 'code128' ? e.height : (viewH / 2) * e.module };
}

/** The label as SVG in millimetres: the UI's preview (same elements as the ZPL). */
export function renderLabelSvg(label: ResolvedLabel): string {
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${label.widthMm}mm" height="${label.heightMm}mm" viewBox="0 0 ${label.widthMm} ${label.heightMm}">`,
    `<rect x="0" y="0" width="${label.widthMm}" height="${label.heightMm}" fill="#fff" stroke="#999" stroke-width="0.2"/>`,
  ];
  for (const e of label.elements) {
    if (e.type === 'text') {
      const len = e.maxWidth ? ` textLength="${e.maxWidth}" lengthAdjust="spacingAndGlyphs"` : '';
      const fit = e.maxWidth && e.text.length * e.size * 0.6 > e.maxWidth ? len : '';
      parts.push(
        `<text x="${e.x}" y="${e.y + e.size}" font-family="Helvetica, Arial, sans-serif" font-size="${(e.size * 1.35).toFixed(2)}"${e.bold ? ' font-weight="bold"' : ''}${fit}>${xml(e.text)}</text>`,
      );
    } else if (e.type === 'barcode') {
      const svg = bwipjs.toSVG({ bcid: BCID[e.symbology], text: e.data, scale: 1, height: e.height });
      const m = /viewBox="0 0 ([\d.]+) ([\d.]+)"/.exec(svg);
      const vw = Number(m?.[1] ?? 10);
      const vh = Number(m?.[2] ?? 10);
      const box = barcodeBox(e, vw, vh);
      const inner = svg.replace(/^<svg[^>]*>/, '').replace(/<\/svg>\s*$/, '');
      parts.push(
        `<svg x="${e.x}" y="${e.y}" width="${box.w.toFixed(2)}" height="${box.h.toFixed(2)}" viewBox="0 0 ${vw} ${vh}" preserveAspectRatio="none">${inner}</svg>`,
      );
    } else {
      parts.push(`<rect x="${e.x}" y="${e.y}" width="${e.w}" height="${e.h}" fill="none" stroke="#000" stroke-width="${e.thickness}"/>`);
    }
  }
  parts.push('</svg>');
  return parts.join('\n');
}

const PT = 72 / 25.4;

/** The label as a one-page PDF of the label's size (for a system queue or a file). */
export async function renderLabelPdf(labels: readonly ResolvedLabel[]): Promise<Buffer> {
  const first = labels[0];
  if (!first) throw new Error('No label to render.');
  const doc = new PDFDocument({
    size: [first.widthMm * PT, first.heightMm * PT],
    margin: 0,
    autoFirstPage: false,
    info: { Title: `Label ${first.template}`, Creator: 'Benchline' },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve, reject) => {
    doc.on('end', resolve);
    doc.on('error', reject);
  });
  for (const label of labels) {
    doc.addPage({ size: [label.widthMm * PT, label.heightMm * PT], margin: 0 });
    for (const e of label.elements) {
      if (e.type === 'text') {
        doc.font(e.bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(e.size * 1.35 * PT);
        doc.text(e.text, e.x * PT, e.y * PT - e.size * 0.25 * PT, {
          lineBreak: false,
          width: e.maxWidth ? e.maxWidth * PT : undefined,
          ellipsis: e.maxWidth ? true : undefined,
          height: e.maxWidth ? e.size * 1.6 * PT : undefined,
        });
      } else if (e.type === 'barcode') {
        const svg = bwipjs.toSVG({ bcid: BCID[e.symbology], text: e.data, scale: 1, height: e.height });
        const m = /viewBox="0 0 ([\d.]+) ([\d.]+)"/.exec(svg);
        const box = barcodeBox(e, Number(m?.[1] ?? 10), Number(m?.[2] ?? 10));
        const png = await bwipjs.toBuffer({ bcid: BCID[e.symbology], text: e.data, scale: 4, height: e.height });
        doc.image(png, e.x * PT, e.y * PT, { width: box.w * PT, height: box.h * PT });
      } else {
        doc
          .lineWidth(e.thickness * PT)
          .rect(e.x * PT, e.y * PT, e.w * PT, e.h * PT)
          .stroke();
      }
    }
  }
  doc.end();
  await done;
  return Buffer.concat(chunks);
}
