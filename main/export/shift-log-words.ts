import { labelPair, type Blueprint } from '../../shared/blueprint/schema.js';
import { message, type MessageLanguage } from '../../shared/messages/catalogue.js';
import { formatMessage } from '../../shared/messages/format.js';
import { readEventMessage } from '../pipeline/step-event-text.js';
import type { ShiftLogRun } from './shift-log.js';

/**
 * What the shift PDF says about steps and failures, in the one language it is printed in. The
 * CSV/JSON columns keep step ids and English words (CONTRACT.md; the hub's copy is byte-identical);
 * the PDF is read by a person and names steps by their labels and causes in catalogue words.
 */
export interface ShiftLogWords {
  /** Step failures by step label and cause, most frequent first. */
  failures(): { step: string; cause: string; count: number }[];
  /** A failed run's step and cause ("Gerät löschen: …"), or '' when there is nothing to say. */
  runFailure(run: ShiftLogRun): string;
}

/**
 * A recorded cause in words: an event's kind (no message was recorded) as a cause.* word, a stored
 * catalogue message in the language, and prose (rows older than the catalogue, blueprint texts) as it is.
 */
export function causeWords(stored: string, language: MessageLanguage): string {
  if (stored === 'fail' || stored === 'timeout' || stored === 'interrupted') return formatMessage(message(`cause.${stored}`), language);
  const { message: prose, text } = readEventMessage(stored);
  return text ? formatMessage(text, language) : (prose ?? stored);
}

/** "step: cause", either part left out when unknown. */
export function runFailureText(step: string | null, cause: string | null): string {
  if (step && cause) return `${step}: ${cause}`;
  return step ?? cause ?? '';
}

/** Step labels of the blueprints a shift ran, by blueprint name and version; a step id stands for itself when unknown. */
export class StepLabels {
  private readonly byBlueprint = new Map<string, Map<string, string>>();
  private readonly anyBlueprint = new Map<string, string>();

  constructor(blueprints: readonly { name: string; version: number; definition: string }[], language: MessageLanguage) {
    for (const b of blueprints) {
      let steps: Blueprint['steps'] = [];
      try {
        steps = (JSON.parse(b.definition) as Blueprint).steps ?? [];
      } catch {
        // A definition that no longer parses: its steps keep their ids.
      }
      const labels = new Map(steps.map((s) => [s.id, labelPair(s.label, s.id)[language]]));
      this.byBlueprint.set(`${b.name}@${b.version}`, labels);
      for (const [id, label] of labels) if (!this.anyBlueprint.has(id)) this.anyBlueprint.set(id, label);
    }
  }

  /** The step's label in the run's blueprint, else in any blueprint of the shift, else its id. */
  label(stepId: string, blueprint?: { name: string; version: number }): string {
    return (blueprint && this.byBlueprint.get(`${blueprint.name}@${blueprint.version}`)?.get(stepId)) ?? this.anyBlueprint.get(stepId) ?? stepId;
  }
}
