import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ShiftLogSource } from './shift-log.js';

const BATCH = 200;

function* chunks(source: ShiftLogSource): Generator<string> {
  const header = source.header();
  const summary = source.summary();
  yield `{"shift":${JSON.stringify({ ...header, totals: summary })},\n"runs":[`;
  let first = true;
  let batch: string[] = [];
  for (const run of source.runs()) {
    batch.push((first ? '\n' : ',\n') + JSON.stringify(run));
    first = false;
    if (batch.length >= BATCH) {
      yield batch.join('');
      batch = [];
    }
  }
  if (batch.length) yield batch.join('');
  yield '],\n"steps":[';
  first = true;
  batch = [];
  for (const step of source.steps()) {
    batch.push((first ? '\n' : ',\n') + JSON.stringify(step));
    first = false;
    if (batch.length >= BATCH) {
      yield batch.join('');
      batch = [];
    }
  }
  if (batch.length) yield batch.join('');
  yield ']';
  yield '}\n';
}

/**
 * `{"shift": {...}, "runs": [...], "steps": [...]}` (CONTRACT.md), written run by run so a shift
 * of any size streams; `shift` also carries the totals and the handed-over runs. Dead letters are
 * not part of it (the hub's copy of the log must stay byte-identical): `benchline export --dead-letters`.
 */
export async function writeShiftJson(source: ShiftLogSource, out: Writable): Promise<void> {
  await pipeline(Readable.from(chunks(source), { objectMode: false }), out);
}
