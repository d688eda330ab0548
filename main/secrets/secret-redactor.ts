/**
 * Hides secret values in text on their way to logs, step events, exports and API answers. It
 * knows the values the store has handed out or saved in this process: those are the only ones
 * that can leak from it.
 */
export class SecretRedactor {
  private readonly values = new Map<string, string>();

  /** Values shorter than 4 characters are not hidden: they would blank out ordinary words. */
  remember(name: string, texts: readonly string[]): void {
    for (const text of texts) if (text.length >= 4) this.values.set(text, name);
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
