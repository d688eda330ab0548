import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AppError, ERROR_TABLE } from '../../shared/contract/errors.js';
import { LANGUAGES, MESSAGES, message, type MessageCode } from '../../shared/messages/catalogue.js';
import { formatMessage, MESSAGE_TEXTS } from '../../shared/messages/format.js';
import { checkPack } from '../../main/units/unit-rules.js';
import { StepFailedError, stepFailed } from '../../main/drivers/step-errors.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CODES = Object.keys(MESSAGES) as MessageCode[];
const placeholders = (text: string) => new Set([...text.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]!));

/** Codes given as string literals to the catalogue's builders and to step errors in one source text. */
export function emittedCodes(source: string): string[] {
  return [...source.matchAll(/\b(?:message|stepFailed|new StepFailedError|new AppError\(\s*'[a-z_]+'\s*,\s*message)\(\s*'([^']+)'/g)].map((m) => m[1]!);
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : /\.ts$/.test(e.name) ? [p] : [];
  });
}

describe('the message catalogue', () => {
  it('has a German and an English text for every code, and no text without a code', () => {
    for (const language of LANGUAGES) {
      const texts = MESSAGE_TEXTS[language];
      const missing = CODES.filter((c) => typeof texts[c] !== 'string' || texts[c].trim() === '');
      expect(missing, `${language}: codes without text`).toEqual([]);
      expect(
        Object.keys(texts).filter((k) => !(k in MESSAGES)),
        `${language}: texts without code`,
      ).toEqual([]);
    }
  });

  it('uses every parameter of a code in both texts, and no placeholder that is not a parameter', () => {
    const problems: string[] = [];
    for (const code of CODES) {
      const params = new Set<string>(MESSAGES[code]);
      for (const language of LANGUAGES) {
        const used = placeholders(MESSAGE_TEXTS[language][code] ?? '');
        for (const p of params) if (!used.has(p)) problems.push(`${language} ${code}: {{${p}}} unused`);
        for (const p of used) if (!params.has(p)) problems.push(`${language} ${code}: {{${p}}} is no parameter`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('German and English differ where a word is language-specific (no copied-over English)', () => {
    const same = CODES.filter((c) => MESSAGE_TEXTS.de[c] === MESSAGE_TEXTS.en[c] && /[a-z]{4,}/i.test(MESSAGE_TEXTS.en[c]!.replace(/\{\{\w+\}\}/g, '')));
    expect(same).toEqual([]);
  });

  it('every code main/ emits as a literal is in the catalogue (the scan sees what it must)', () => {
    expect(emittedCodes(`throw stepFailed('serial.nope', {}); x = message('unit.closed', { unitId })`)).toEqual(['serial.nope', 'unit.closed']);
    const unknown: string[] = [];
    let seen = 0;
    for (const file of sourceFiles(path.join(ROOT, 'main'))) {
      for (const code of emittedCodes(fs.readFileSync(file, 'utf8'))) {
        seen++;
        if (!(code in MESSAGES)) unknown.push(`${path.relative(ROOT, file)}: ${code}`);
      }
    }
    expect(unknown).toEqual([]);
    expect(seen).toBeGreaterThan(20);
  });

  it('renders params, nested messages and both languages', () => {
    const refusal = checkPack(
      { id: 'U-1', school: 'GS Nord', state: 'open', capacity: null, count: 0 },
      { serial: 'S1', run: { id: 'r', state: 'running', school: 'GS Nord' }, quarantined: false, currentUnit: null },
    );
    expect(refusal.ok).toBe(false);
    const text = refusal.ok ? null : refusal.refusal.text;
    expect(text).toEqual({ code: 'pack.not-finished', params: { serial: 'S1', state: { code: 'run-state.running', params: {} } } });
    expect(formatMessage(text!, 'en')).toBe('Device S1 is not finished (still running); only finished devices are packed.');
    expect(formatMessage(text!, 'de')).toBe('Gerät S1 ist nicht fertig (läuft noch); nur fertige Geräte werden verpackt.');
    expect(formatMessage({ code: 'from.a.newer.station', params: {} }, 'de')).toBe('from.a.newer.station');
  });
});

describe('errors', () => {
  it('a step error carries its code and params, and English for the log', () => {
    const err = stepFailed('step.failed', { step: 'Erase' }, false);
    expect(err).toBeInstanceOf(StepFailedError);
    expect({ code: err.code, params: err.params, retryable: err.retryable, message: err.message }).toEqual({
      code: 'step.failed',
      params: { step: 'Erase' },
      retryable: false,
      message: '“Erase” failed on the device. Retry.',
    });
  });

  it('AppError takes status and retryable from the one table and answers in the contract shape plus the message', () => {
    const err = new AppError('conflict', message('unit.closed', { unitId: 'U-7' }));
    expect([err.status, err.retryable]).toEqual([409, false]);
    expect(err.toBody()).toEqual({
      error: {
        code: 'conflict',
        message: 'Unit U-7 is closed. To change it, reopen it with a reason first.',
        text: { code: 'unit.closed', params: { unitId: 'U-7' } },
      },
    });
    expect(new AppError('unavailable', message('internal')).retryable).toBe(true);
    expect(Object.values(ERROR_TABLE).every((e) => e.status >= 400 && e.status < 600)).toBe(true);
  });
});
