/**
 * Hides secret values in text on their way to logs, step events, exports and API answers. It
 * knows the values the store has handed out or saved in this process: those are the only ones
 * that can leak from it.
 */
export class SecretRedactor {
  private readonly values = new Map<string, string>();

  /**
   * Values shorter than 4 characters are not hidden: they would blank out ordinary words. Each is
   * also hidden as it reads inside JSON, and inside JSON in JSON: a QR payload carries a Wi-Fi
   * password as JSON, and the stored step event holds that payload inside its message's JSON.
   */
  remember(name: string, texts: readonly string[]): void {
    for (const text of texts) {
      if (text.length < 4) continue;
      const inJson = jsonEscaped(text);
      for (const form of [text, inJson, jsonEscaped(inJson)]) this.values.set(form, name);
    }
  }

  redact(text: string): string {
    let out = text;
    // Longest first, so a value that contains another is hidden whole.
    for (const [value, name] of [...this.values].sort(([a], [b]) => b.length - a.length)) {
      if (out.includes(value)) out = out.split(value).join(`[secret ${name}]`);
    }
    return out;
  }

  /** Redacts every string inside a JSON-like value (log fields, captured values). */
  redactDeep<T>(value: T): T {
    if (this.values.size === 0) return value;
    if (typeof value === 'string') return this.redact(value) as T;
    if (Array.isArray(value)) return value.map((v: unknown) => this.redactDeep(v)) as T;
    if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.redactDeep(v)])) as T;
    }
    if (value instanceof Error) return { name: value.name, message: this.redact(value.message) } as T;
    return value;
  }
}

/** A text as it appears inside a JSON string (quotes, backslashes and control characters escaped). */
function jsonEscaped(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}
