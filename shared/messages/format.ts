import type { Message, MessageLanguage, MessageParam } from './catalogue.js';
import de from './de.json' with { type: 'json' };
import en from './en.json' with { type: 'json' };

/** The catalogue's texts by language; the renderer loads the same files into i18next. */
export const MESSAGE_TEXTS: Record<MessageLanguage, Readonly<Record<string, string>>> = { de, en };

/**
 * A message in words, for readers outside the renderer (CLI, PDF, logs, the API's `message`).
 * `{{param}}` placeholders take the parameter; a parameter that is itself a message is rendered
 * in the same language. A code this build does not know renders as the code itself.
 */
export function formatMessage(message: Message | { code: string; params: Readonly<Record<string, MessageParam>> }, language: MessageLanguage): string {
  const text = MESSAGE_TEXTS[language][message.code] ?? MESSAGE_TEXTS.en[message.code] ?? message.code;
  const params: Readonly<Record<string, MessageParam>> = message.params;
  return text.replace(/\{\{(\w+)\}\}/g, (whole, name: string) => {
    const value = params[name];
    if (value === undefined) return whole;
    return typeof value === 'object' ? formatMessage(value, language) : String(value);
  });
}
