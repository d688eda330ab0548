import type { TFunction } from 'i18next';
import { MESSAGE_TEXTS as TEXTS } from '../../../../shared/messages/format.js';
import type { Language } from './index.js';

/** The core's message catalogue (shared/messages), loaded into i18next as its own namespace with flat keys. */
export const MESSAGES_NS = 'messages';
export const MESSAGE_TEXTS: Record<Language, Readonly<Record<string, string>>> = TEXTS;

type WireParam = string | number | { code: string; params?: Readonly<Record<string, WireParam>> };
export interface WireMessageLike {
  code: string;
  params?: Readonly<Record<string, WireParam>> | undefined;
}

/**
 * A message from the core in the reader's language: `t(code, params)` in the messages namespace.
 * Undefined when this build has no text for the code, or the message lacks a parameter its text
 * needs (a station that sent prose only): the caller then shows the station's own words.
 */
export function messageText(t: TFunction, language: Language, m: WireMessageLike, extra: Readonly<Record<string, string>> = {}): string | undefined {
  const template = MESSAGE_TEXTS[language][m.code];
  if (template === undefined) return undefined;
  const params: Record<string, string> = { ...extra };
  for (const [name, value] of Object.entries(m.params ?? {})) {
    const text = typeof value === 'object' ? messageText(t, language, value) : String(value);
    if (text !== undefined) params[name] = text;
  }
  for (const [, name] of template.matchAll(/\{\{(\w+)\}\}/g)) if (params[name!] === undefined) return undefined;
  return t(m.code, { ns: MESSAGES_NS, keySeparator: false, ...params });
}
