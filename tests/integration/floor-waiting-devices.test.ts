import { describe, expect, it } from 'vitest';
import type { StationEvent } from '../../shared/contract/station-api.js';
import type { StationCore } from '../../main/station/station-core.js';
import type { StationConfig } from '../../main/station/start-station.js';
import { testCores } from '../fixtures/test-core.js';
import { until as waitUntil } from '../fixtures/until.js';

// Issue 13, items 2 and 3: devices that cannot start (nobody signed in, no batch) wait visibly and
// start by themselves once the person signs in or scans an order.

const ORDER = [
  'customer,school,order_id,blueprint,deadline,serial,quantity',
  'Stadt Musterstadt,Grundschule Nord,MS-WAIT-1,school-ipad,2026-08-31,,20',
  '',
].join('\n');

const cores = testCores('benchline-waiting-');

async function station(over: Partial<StationConfig> = {}): Promise<{ core: StationCore; events: StationEvent[] }> {
  const core = await cores.open(over);
  const events: StationEvent[] = [];
  core.onEvent((e) => events.push(e));
  return { core, events };
}

/** Waits (polling every 5 ms) until `check` holds. */
const until = <T>(what: string, check: () => T | undefined): Promise<T> => waitUntil(check, what, 10_000, 5);

const states = (core: StationCore) => core.listDevices().map((d) => d.state ?? d.error?.code ?? 'none');
const allDone = (core: StationCore, n: number) => () => (core.listDevices().filter((d) => d.state === 'done').length === n ? true : undefined);

describe('the sign-in policy', () => {
  it('by default devices wait with "please sign in" and no run, then start when someone signs in, under their name', async () => {
    const { core } = await station();
    expect(core.snapshot().floor).toEqual({ batch: null, signInPolicy: 'wait' });
    const serials = core.plugSimulated({ count: 2 });
    await until('two tiles', () => (core.listDevices().length === 2 ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 30));
    for (const d of core.listDevices()) {
      expect(d.runId).toBeNull();
      expect(d.error).toMatchObject({ code: 'needs_sign_in', text: { code: 'device.needs-sign-in' } });
    }
    // No shift was opened for nobody.
    expect(core.currentShift()).toBeNull();

    core.operators.signIn({ name: 'Anna Krüger' });
    await until('both done', allDone(core, 2));
    const runs = core.listRuns(core.currentShift()!.id);
    expect(runs.map((r) => r.serial).sort()).toEqual([...serials].sort());
    const operators = core.store.db.prepare('SELECT DISTINCT operator FROM runs').all() as { operator: string }[];
    expect(operators).toEqual([{ operator: 'Anna Krüger' }]);
  });

  it('"run" lets devices start unattended in a shift the station opens itself, and the setting goes to the renderers', async () => {
    const { core, events } = await station();
    core.plugSimulated({ count: 1 });
    await until('waiting for a sign-in', () => (core.listDevices()[0]?.error?.code === 'needs_sign_in' ? true : undefined));
    expect(core.setSignInPolicy('run')).toEqual({ batch: null, signInPolicy: 'run' });
    await until('done', allDone(core, 1));
    expect(core.currentShift()!.operators).toEqual(['unassigned']);
    expect(events).toContainEqual({ type: 'floor', floor: { batch: null, signInPolicy: 'run' } });
  });

  it('a policy given at start (--sign-in-policy) is stored, and holds after a restart without the flag', async () => {
    let { core } = await station({ signInPolicy: 'run' });
    expect(core.operators.signInPolicy()).toBe('run');
    await cores.close(core);
    ({ core } = await station());
    expect(core.operators.signInPolicy()).toBe('run');
  });
});

describe('devices waiting for a batch', () => {
  it('wait with "choose an order" and start, all of them, when the order is scanned', async () => {
    const { core, events } = await station();
    core.operators.signIn({ name: 'Ben Okafor' });
    expect(core.receipt.importOrders(ORDER, 'order.csv').ok).toBe(true);
    core.plugSimulated({ count: 3 });
    await until('three waiting for an order', () => (core.listDevices().filter((d) => d.error?.code === 'needs_assignment').length === 3 ? true : undefined));
    expect(core.listDevices().every((d) => d.runId === null && d.error?.text?.code === 'order.no-batch')).toBe(true);

    const scanned = core.scanCode('MS-WAIT-1');
    expect(scanned).toEqual({
      kind: 'order',
      batch: { orderId: 'MS-WAIT-1', blueprint: 'school-ipad', customer: 'Stadt Musterstadt', school: 'Grundschule Nord' },
      started: 3,
    });
    expect(events).toContainEqual({ type: 'floor', floor: { batch: scanned.kind === 'order' ? scanned.batch : null, signInPolicy: 'wait' } });
    await until('all three done', allDone(core, 3));
    const runs = core.listRuns(core.currentShift()!.id);
    expect(runs).toHaveLength(3);
    expect(new Set(runs.map((r) => r.blueprint))).toEqual(new Set(['school-ipad']));
    const schools = core.store.db.prepare("SELECT DISTINCT json_extract(captured, '$.school') AS school FROM runs").all();
    expect(schools).toEqual([{ school: 'Grundschule Nord' }]);
  });

  it('an order imported after the devices were plugged starts the devices it lists', async () => {
    const { core } = await station({ signInPolicy: 'run' });
    core.receipt.importOrders(ORDER, 'first.csv');
    const [serial] = core.plugSimulated({ count: 1 });
    await until('waiting for an order', () => (core.listDevices()[0]?.error?.code === 'needs_assignment' ? true : undefined));
    const second = `customer,school,order_id,blueprint,deadline,serial,quantity\nStadt Musterstadt,Gymnasium Süd,MS-WAIT-2,school-ipad,2026-09-30,${serial},\n`;
    expect(core.receipt.importOrders(second, 'second.csv').ok).toBe(true);
    await until('done', allDone(core, 1));
    expect(states(core)).toEqual(['done']);
  });
});

describe('scanned codes', () => {
  it('are a unit label, a badge, a device packed into the unit, a known device, or unknown', async () => {
    const { core } = await station({ signInPolicy: 'run' });
    core.store.setSetting('default_school', 'Grundschule Nord');
    const [serial] = core.plugSimulated({ count: 1 });
    await until('done', allDone(core, 1));
    core.operators.signIn({ name: 'Anna Krüger', badge: 'B-4711' });
    const unit = core.packing.createUnit({ kind: 'box', school: 'Grundschule Nord' });

    expect(core.scanCode(unit.id)).toMatchObject({ kind: 'unit', unit: { id: unit.id, count: 0 } });
    expect(core.scanCode(serial!)).toEqual({ kind: 'device', serial });
    expect(core.scanCode(serial!, unit.id)).toMatchObject({ kind: 'packed', serial, result: { ok: true, already: false, unit: { count: 1 } } });
    expect(core.scanCode('NOSUCHCODE1', unit.id)).toMatchObject({ kind: 'packed', result: { ok: false, code: 'no_run' } });
    expect(core.scanCode('B-4711')).toMatchObject({ kind: 'badge', operator: 'Anna Krüger' });
    expect(core.scanCode('NOSUCHCODE1')).toEqual({ kind: 'unknown', code: 'NOSUCHCODE1' });
  });
});
