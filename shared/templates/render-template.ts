/**
 * Renders a name or label template: "{school}-{seq:000}" -> "GS-Nord-007". `{key:000}` pads a
 * number with zeros to the pattern's width. Unknown keys are reported, never rendered as "undefined".
 */
export function renderTemplate(template: string, values: Readonly<Record<string, string | number | null | undefined>>): { text: string; missing: string[] } {
  const missing: string[] = [];
  const text = template.replace(/\{([a-zA-Z][a-zA-Z0-9_]*)(?::(0+))?\}/g, (_match, key: string, pad: string | undefined) => {
    const value = values[key];
    if (value === null || value === undefined || value === '') {
      missing.push(key);
      return '';
    }
    const str = String(value);
    return pad ? str.padStart(pad.length, '0') : str;
  });
  return { text, missing };
}
