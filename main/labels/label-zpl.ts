import type { ResolvedLabel } from './label-template.js';

/**
 * Field data for ^FH_: the characters ZPL treats as commands (^ ~) and the escape itself are
 * written as hex, so a serial or school name can never end a field or start a command.
 */
export function zplField(text: string): string {
  return text.replace(/[_^~\\]/g, (c) => `_${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`).replace(/[\r\n]+/g, ' ');
}

/**
 * ZPL II for a Zebra-type printer: ^CI28 (UTF-8, so umlauts print), the label size in dots at the
 * template's dpi, text in the scalable font 0, Code 128 (^BC), DataMatrix (^BX) and QR (^BQ).
 */
export function renderZpl(label: ResolvedLabel, opts: { copies?: number } = {}): string {
  const pos = (mm: number) => Math.round((mm * label.dpi) / 25.4);
  const dots = (mm: number) => Math.max(1, pos(mm));
  const lines: string[] = ['^XA', '^CI28', `^PW${dots(label.widthMm)}`, `^LL${dots(label.heightMm)}`, '^LH0,0'];
  for (const e of label.elements) {
    const at = `^FO${pos(e.x)},${pos(e.y)}`;
    if (e.type === 'text') {
      const h = dots(e.size);
      const block = e.maxWidth ? `^FB${dots(e.maxWidth)},1,0,L,0` : '';
      lines.push(`${at}^A0N,${h},${e.bold ? Math.round(h * 1.1) : h}${block}^FH_^FD${zplField(e.text)}^FS`);
    } else if (e.type === 'barcode') {
      const m = Math.max(1, Math.min(10, dots(e.module)));
      if (e.symbology === 'code128') lines.push(`${at}^BY${m}^BCN,${dots(e.height)},N,N,N^FH_^FD${zplField(e.data)}^FS`);
      else if (e.symbology === 'datamatrix') lines.push(`${at}^BXN,${m},200^FH_^FD${zplField(e.data)}^FS`);
      else lines.push(`${at}^BQN,2,${m}^FH_^FDMA,${zplField(e.data)}^FS`);
    } else {
      lines.push(`${at}^GB${dots(e.w)},${dots(e.h)},${dots(e.thickness)}^FS`);
    }
  }
  if (opts.copies && opts.copies > 1) lines.push(`^PQ${opts.copies}`);
  lines.push('^XZ');
  return `${lines.join('\n')}\n`;
}
