import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateBatch } from '../../main/hub/ingest/event-validation.js';
import { transitionOutbox } from '../../main/pipeline/run-outbox.js';
import { InvalidOutboxEventError } from '../../main/store/outbox-record.js';
import { StationStore } from '../../main/store/station-store.js';
import { OUTBOX_TEXT_MAX, parseOutboxEvent, type OutboxEvent } from '../../shared/contract/outbox-events.js';
import { dump, queuedRun, tempDir, testBlueprint, testDevice, testOutboxEvent } from '../fixtures/store-helpers.js';

const T0 = '2026-03-02T08:00:00.000Z';
const T1 = '2026-03-02T09:00:00.000Z';

describe('outbox events: one definition for the station that writes them and the hub that takes them', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: StationStore;
  let blueprintId: number;
  let shiftId: string;

  beforeEach(() => {
    tmp = tempDir();
    store = new StationStore(path.join(tmp.dir, 'station.db'));
    blueprintId = store.saveBlueprint(testBlueprint([{ id: 'a' }]), null, T0);
    shiftId = store.ensureShift(T0).id;
    store.upsertDevice(testDevice('SER1'), T0);
  });
  afterEach(() => {
    store.close();
    tmp.cleanup();
  });

  it('every record the store wrote parses under its own kind', () => {
    const run = queuedRun('r1', 'SER1', blueprintId, shiftId, T0);
    store.createRun(
      run,
      { stepIndex: null, step: null, kind: 'created', attempt: 1, message: null },
      transitionOutbox(store.stationId(), run, testBlueprint([{ id: 'a' }]), [], T0),
    );
    store.closeShift(shiftId, T1);
    const records = store.outboxAfter(0, 100);
    expect(records.map((r) => r.kind)).toEqual(['shift.opened', 'run.transition', 'shift.closed']);
    for (const r of records) {
      const parsed = parseOutboxEvent(r.kind, JSON.parse(r.payload));
      expect(parsed).toMatchObject({ known: true, ok: true, event: { type: r.kind } });
    }
  });

  it('the store refuses an event that breaks the contract and writes nothing of its transaction', () => {
    const before = dump(store);
    const bad = { ...testOutboxEvent(), run: { ...testOutboxEvent().run, state: 'exploded' } } as unknown as OutboxEvent;
    expect(() =>
      store.createRun(queuedRun('r1', 'SER1', blueprintId, shiftId, T0), { stepIndex: null, step: null, kind: 'created', attempt: 1, message: null }, bad),
    ).toThrow(InvalidOutboxEventError);
    expect(() =>
      store.createRun(queuedRun('r1', 'SER1', blueprintId, shiftId, T0), { stepIndex: null, step: null, kind: 'created', attempt: 1, message: null }, bad),
    ).toThrow(/run\.state/);
    expect(dump(store)).toEqual(before);
  });

  it('a device error longer than the contract allows is clipped, so the transition is still saved', () => {
    const run = { ...queuedRun('r1', 'SER1', blueprintId, shiftId, T0), state: 'failed' as const, errorMessage: 'x'.repeat(OUTBOX_TEXT_MAX + 50) };
    const event = transitionOutbox(
      'station-1',
      run,
      testBlueprint([{ id: 'a' }]),
      [{ stepIndex: 0, step: 'a', kind: 'fail', attempt: 1, message: 'y'.repeat(OUTBOX_TEXT_MAX + 1) }],
      T0,
    );
    expect(event.run.errorMessage).toHaveLength(OUTBOX_TEXT_MAX);
    expect(event.events[0]!.message).toHaveLength(OUTBOX_TEXT_MAX);
    expect(parseOutboxEvent('run.transition', event)).toMatchObject({ ok: true });
  });

  it('the hub takes what the station accepts and sets aside, with the same reason, what it refuses', () => {
    const good = testOutboxEvent(1);
    const bad = { ...good, at: 'yesterday' };
    const batch = validateBatch({
      stationId: good.stationId,
      events: [
        { seq: 1, kind: 'run.transition', at: T0, payload: good },
        { seq: 2, kind: 'run.transition', at: T0, payload: bad },
        { seq: 3, kind: 'printer.jammed', at: T0, payload: { stationId: good.stationId } },
      ],
    });
    expect(batch.events.map((e) => [e.seq, e.known])).toEqual([
      [1, 'run'],
      [3, null],
    ]);
    const refused = parseOutboxEvent('run.transition', bad);
    expect(refused.known && !refused.ok).toBe(true);
    expect(batch.dead).toEqual([expect.objectContaining({ seq: 2, code: 'invalid_payload', message: expect.stringContaining('at: not an ISO 8601 time') })]);
    expect(parseOutboxEvent('printer.jammed', {})).toEqual({ known: false });
  });
});
