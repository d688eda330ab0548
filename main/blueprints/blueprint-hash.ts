import crypto from 'node:crypto';
import type { Blueprint } from '../../shared/blueprint/schema.js';

/** JSON with sorted keys and without the `mandatory` marks: two equal definitions give the same text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>)
            .filter(([k]) => k !== 'mandatory')
            .sort(([a], [b]) => a.localeCompare(b)),
        )
      : v,
  );
}

/**
 * Seals a resolved definition with its content hash (sha-256 of the canonical JSON): what a run
 * records, the export and the hub show. Fields left undefined are not part of the text, so a
 * plain blueprint hashes as it did before variants existed.
 */
export function sealBlueprint(definition: Omit<Blueprint, 'hash'>): Blueprint {
  const hash = crypto.createHash('sha256').update(canonicalJson(definition)).digest('hex');
  return { ...definition, hash };
}
