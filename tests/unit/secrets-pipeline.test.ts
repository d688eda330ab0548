import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadBlueprint } from '../../main/blueprints/blueprint-loader.js';
import { StepFailedError } from '../../main/drivers/step-errors.js';
import { redactingLogger } from '../../main/logging/logger.js';
import { RunController } from '../../main/pipeline/run-controller.js';
import { keyFileProvider } from '../../main/secrets/key-providers.js';
import { SecretStore } from '../../main/secrets/secret-store.js';
import { SecretRows } from '../../main/store/secret-rows.js';
import { StationStore } from '../../main/store/station-store.js';
import { FakeExecutor } from '../fixtures/fake-executor.js';
import { message } from '../../shared/messages/catalogue.js';
import { tempDir, testDevice } from '../fixtures/store-helpers.js';

const SERIAL = 'DMPSECRET001';
const PASSWORD = 'psk-Geheim-93c1f0aa';
let tmp: ReturnType<typeof tempDir>;
let store: StationStore | null = null;
let controller: RunController | null = null;
afterEach(() => {
  controller?.stopAll();
  if (store?.db.open) store.close();
  tmp.cleanup();
});

describe('a step that uses a secret', () => {
  it('gets the value through ctx.secret; what the step echoes is redacted before it is logged, stored or queued for the hub', async () => {
    tmp = tempDir();
    fs.writeFileSync(
      path.join(tmp.dir, 'bp.yaml'),
      'id: wlan\nname: WLAN\nversion: 1\nplatform: ios\nsteps:\n  - { id: wifi, type: wifi, params: { ssid: Schule, secret: wifi-school } }\n  - { id: wifi-again, type: wifi, params: { ssid: Schule, secret: wifi-school } }\n',
    );
    const blueprint = loadBlueprint(path.join(tmp.dir, 'bp.yaml'), []);
    store = new StationStore(path.join(tmp.dir, 'station.db'));
    const secrets = new SecretStore(new SecretRows(store.db), keyFileProvider(tmp.dir));
    secrets.set('wifi-school', { kind: 'wifi', password: PASSWORD });
    const blueprintId = store.saveBlueprint(blueprint, null, new Date().toISOString());
    const shiftId = store.ensureShift(new Date().toISOString()).id;
    store.upsertDevice(testDevice(SERIAL), new Date().toISOString());
    const logs: string[] = [];
    const logger = redactingLogger({ log: (level, message, fields) => logs.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`) }, secrets.redactor);
    const received: string[] = [];
    // A careless driver: it echoes the password in its log, its answer, its captured values and its error.
    const exec = new FakeExecutor()
      .plan('wifi', async (ctx) => {
        const value = await ctx.secret!('wifi-school');
        const password = value.kind === 'wifi' ? value.password : '';
        received.push(password);
        ctx.log(`joining Schule with ${password}`);
        return { message: `joined with ${password}`, captured: { psk: password } };
      })
      .plan('wifi-again', async (ctx) => {
        const value = await ctx.secret!('wifi-school');
        throw new StepFailedError('step.failed', `device refused ${value.kind === 'wifi' ? value.password : ''}`, false);
      });
    const s = store;
    controller = new RunController({
      clock: { now: () => Date.now(), speed: 1 },
      stationId: 'station-test',
      createRun: (run, event, outbox) => s.createRun(run, event, outbox),
      commitTransition: (...args) => s.commitTransition(...args),
      executeStep: exec.executeStep,
      deviceName: () => null,
      log: (level, message, fields) => logger.log(level, message, fields),
      secrets,
    });
    const finished = new Promise<string>((resolve) =>
      controller!.onTransition((t) => (t.state === 'failed' || t.state === 'done' ? resolve(t.state) : undefined)),
    );
    const live = controller.start({ serial: SERIAL, shiftId, slot: 'A1', operator: null, blueprint, blueprintId });
    expect(await finished).toBe('failed');

    expect(received).toEqual([PASSWORD]);
    expect(logs.join('\n')).toContain('[secret wifi-school]');
    expect(logs.join('\n')).not.toContain(PASSWORD);
    const run = s.getRun(live.id)!;
    expect(JSON.stringify(run)).not.toContain(PASSWORD);
    expect(run.captured.psk).toBe('[secret wifi-school]');
    expect(JSON.stringify(s.stepEvents(live.id))).not.toContain(PASSWORD);
    expect(JSON.stringify(s.outboxAfter(0, 1000))).not.toContain(PASSWORD);
    s.close();
    for (const f of fs.readdirSync(tmp.dir).filter((f) => f.startsWith('station.db'))) {
      expect(fs.readFileSync(path.join(tmp.dir, f)).includes(PASSWORD), f).toBe(false);
    }
  });

  it('a wait that shows a secret to the technician (a QR provisioning payload) keeps it live, never stored or queued', async () => {
    tmp = tempDir();
    fs.writeFileSync(
      path.join(tmp.dir, 'bp.yaml'),
      'id: qr\nname: QR\nversion: 1\nplatform: android\nsteps:\n  - { id: qr, type: manual-check, params: { prompt: Scan } }\n',
    );
    const blueprint = loadBlueprint(path.join(tmp.dir, 'bp.yaml'), []);
    store = new StationStore(path.join(tmp.dir, 'station.db'));
    const secrets = new SecretStore(new SecretRows(store.db), keyFileProvider(tmp.dir));
    secrets.set('wifi-school', { kind: 'wifi', password: PASSWORD });
    const blueprintId = store.saveBlueprint(blueprint, null, new Date().toISOString());
    const shiftId = store.ensureShift(new Date().toISOString()).id;
    store.upsertDevice(testDevice(SERIAL), new Date().toISOString());
    const exec = new FakeExecutor().plan('qr', async (ctx) => {
      const value = await ctx.secret!('wifi-school');
      const payload = JSON.stringify({ 'android.app.extra.PROVISIONING_WIFI_PASSWORD': value.kind === 'wifi' ? value.password : '' });
      await ctx.confirmByTechnician(message('android.qr-scan', { dpc: 'de.benchline.mdm', payload }));
      return {};
    });
    const s = store;
    controller = new RunController({
      clock: { now: () => Date.now(), speed: 1 },
      stationId: 'station-test',
      createRun: (run, event, outbox) => s.createRun(run, event, outbox),
      commitTransition: (...args) => s.commitTransition(...args),
      executeStep: exec.executeStep,
      deviceName: () => null,
      log: () => {},
      secrets,
    });
    const waiting = new Promise<void>((resolve) => controller!.onTransition((t) => (t.state === 'waiting' ? resolve() : undefined)));
    const done = new Promise<void>((resolve) => controller!.onTransition((t) => (t.state === 'done' ? resolve() : undefined)));
    const live = controller.start({ serial: SERIAL, shiftId, slot: 'A1', operator: null, blueprint, blueprintId });
    await waiting;
    // The tile reads the payload, password and all, from the live wait.
    expect(JSON.stringify(controller.get(live.id)!.waiting)).toContain(PASSWORD);
    expect(JSON.stringify(s.getRun(live.id))).not.toContain(PASSWORD);
    expect(JSON.stringify(s.stepEvents(live.id))).toContain('[secret wifi-school]');
    expect(JSON.stringify(s.stepEvents(live.id))).not.toContain(PASSWORD);
    expect(JSON.stringify(s.outboxAfter(0, 1000))).not.toContain(PASSWORD);
    controller.confirm(live.id);
    await done;
  });
});
