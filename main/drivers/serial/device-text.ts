/**
 * Text a device sent, made safe to store and show: control characters (C0, DEL, C1, which
 * includes terminal escape sequences' ESC) are removed; tabs become spaces. Garbled-output
 * detection runs on the raw line before this (line-buffer.ts), so nothing is lost for diagnosis.
 */
export function stripControl(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\t/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
}
