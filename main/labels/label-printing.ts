import { formatMessage } from '../../shared/messages/format.js';
import { message, type Message, type MessageLanguage } from '../../shared/messages/catalogue.js';
import { AppError } from '../../shared/contract/errors.js';
import path from 'node:path';
import type { BlueprintStep } from '../../shared/blueprint/schema.js';
import type { StepOutcome } from '../drivers/driver.js';
import { StepFailedError } from '../drivers/step-errors.js';
import type { Logger } from '../logging/logger.js';
import { isoTime, type Clock } from '../pipeline/clock.js';
import type { LiveRun } from '../pipeline/run-controller.js';
import type { Operators } from '../shifts/operators.js';
import type { FloorStore, LabelJobRecord } from '../store/floor-store.js';
import type { RunRecord } from '../store/records.js';
import { stationLanguage } from '../store/station-language.js';
import type { StationStore } from '../store/station-store.js';
import type { UnitRecord } from '../store/unit-store.js';
import { LabelService } from './label-service.js';
import { LabelError } from './label-errors.js';
import { loadLabelTemplates, type LabelValues } from './label-template.js';
import { PrinterError, printerConfigSchema, type PrinterConfig } from './printers.js';

export interface LabelPrintingDeps {
  readonly store: StationStore;
  readonly floorStore: FloorStore;
  readonly operators: Operators;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly dataDir: string;
  readonly resourcesDir: string;
  liveRun(runId: string): LiveRun | undefined;
}

export interface LabelSettings {
  printer: PrinterConfig;
  description: string;
  templates: string[];
  autoPrint: boolean;
}

const PREVIEW_VALUES: LabelValues = {
  serial: 'DMPXA0000001',
  deviceName: 'GSN-001',
  school: 'Grundschule Nord',
  customer: 'Stadt Musterstadt',
  assetTag: 'INV-0001',
  orderId: 'MS-2026-001',
  unitId: 'U-0000-0001',
  count: 12,
  kindLabel: 'Karton',
};

/** The label printer setting, previews, the print-label step, reprints and unit labels; every print is recorded as a label job. */
export class LabelPrinting {
  readonly labels: LabelService;

  constructor(private readonly deps: LabelPrintingDeps) {
    this.labels = new LabelService(loadLabelTemplates(path.join(deps.resourcesDir, 'labels')), this.storedPrinterConfig());
  }

  private now(): string {
    return isoTime(this.deps.clock.now());
  }

  private storedPrinterConfig(): PrinterConfig {
    const raw = this.deps.store.getSetting('label_printer');
    if (raw) {
      const parsed = printerConfigSchema.safeParse(JSON.parse(raw));
      if (parsed.success) return parsed.data;
      this.deps.logger.log('warn', `the stored label printer setting is not valid (${parsed.error.message}); labels go to PDF files`);
    }
    return { kind: 'pdf-file', dir: path.join(this.deps.dataDir, 'labels') };
  }

  /** The station's language for what labels say ("Karton" or "Box", the date): German unless the setting `language` is en. */
  private language(): MessageLanguage {
    return stationLanguage(this.deps.store);
  }

  autoPrint(): boolean {
    return this.deps.store.getSetting('label_auto_print') !== 'false';
  }

  labelSettings(): LabelSettings {
    return {
      printer: this.labels.printerConfig,
      description: this.labels.printerDescription,
      templates: this.labels.templateIds(),
      autoPrint: this.autoPrint(),
    };
  }

  setLabelPrinter(config: PrinterConfig, autoPrint?: boolean): LabelSettings {
    this.deps.store.setSetting('label_printer', JSON.stringify(config));
    if (autoPrint !== undefined) this.deps.store.setSetting('label_auto_print', String(autoPrint));
    this.labels.setPrinter(config);
    this.deps.operators.recordAction('label-printer', { detail: this.labels.printerDescription });
    return this.labelSettings();
  }

  private labelValues(run: RunRecord): LabelValues {
    const device = this.deps.store.getDevice(run.serial);
    const c = run.captured;
    return {
      ...c,
      serial: run.serial,
      model: c.model ?? device?.model,
      osVersion: c.osVersion ?? device?.osVersion ?? null,
      date: new Date(this.deps.clock.now()).toLocaleDateString(this.language() === 'de' ? 'de-DE' : 'en-GB'),
      runId: run.id,
    };
  }

  labelPreview(template: string, runId: string | undefined): { svg: string; zpl: string } {
    const values = runId ? this.labelValues(this.runRecord(runId)) : PREVIEW_VALUES;
    try {
      return this.labels.preview(template, values);
    } catch (err) {
      // The failing field or file stays in the message: the admin reads what to fix.
      if (err instanceof LabelError) throw new AppError('bad_request', err.text);
      throw err;
    }
  }

  private runRecord(runId: string): RunRecord {
    const r = this.deps.liveRun(runId)?.record ?? this.deps.store.getRun(runId);
    if (!r) throw new AppError('not_found', message('run.not-found', { runId }));
    return r;
  }

  /**
   * The print-label step: printing is the station's job, not the device's. A label printed for
   * this run already (a step re-run after a crash) is not printed again; a reprint is explicit.
   */
  async printLabelStep(run: LiveRun, step: Extract<BlueprintStep, { type: 'print-label' }>): Promise<StepOutcome> {
    if (!this.autoPrint()) return { message: 'automatic label printing is off' };
    if (this.deps.floorStore.labelPrinted(run.id)) return { message: 'label printed already' };
    await this.printDeviceLabel(run.record, step.params.template, true);
    return { message: `label printed on ${this.labels.printerDescription}` };
  }

  async reprint(runId: string): Promise<void> {
    const run = this.runRecord(runId);
    const template = this.labelTemplateOf(run);
    try {
      await this.printDeviceLabel(run, template, false);
    } catch (err) {
      if (err instanceof StepFailedError) throw new AppError('conflict', { code: err.code, params: err.params } as Message);
      throw err;
    }
    this.deps.operators.recordAction('reprint', { runId, serial: run.serial });
  }

  private labelTemplateOf(run: RunRecord): string {
    const bp = this.deps.store.getBlueprint(run.blueprintId);
    const step = bp.steps.find((s) => s.type === 'print-label');
    return step?.type === 'print-label' ? step.params.template : 'device-asset';
  }

  private async printDeviceLabel(run: RunRecord, template: string, asStep: boolean): Promise<void> {
    try {
      await this.printJob(
        { kind: 'device', runId: run.id, unitId: null, serial: run.serial, template },
        this.labelValues(run),
        `label-${run.serial}-${Date.now()}`,
      );
    } catch (err) {
      if (!(err instanceof LabelError)) throw err;
      this.deps.logger.log('warn', `label for ${run.serial}: ${err.message}`, { runId: run.id });
      // The step fails with the printer's or template's own message (which printer, which field, what to do).
      throw new StepFailedError(err.text, err instanceof PrinterError || !asStep);
    }
  }

  /** Prints a packing unit's label (box or cart). */
  async printUnitLabel(unit: UnitRecord): Promise<void> {
    const values = {
      unitId: unit.id,
      school: unit.school,
      customer: unit.customer,
      orderId: unit.orderId,
      count: unit.count,
      kindLabel: formatMessage(message(unit.kind === 'cart' ? 'label.kind-cart' : 'label.kind-box'), this.language()),
    };
    try {
      await this.printJob({ kind: 'unit', runId: null, unitId: unit.id, serial: null, template: 'unit' }, values, `unit-${unit.id}`);
    } catch (err) {
      if (err instanceof LabelError) throw new AppError('conflict', err.text);
      throw err;
    }
  }

  /** Prints one label and records the job, printed or failed; a failure is thrown on. */
  private async printJob(job: Pick<LabelJobRecord, 'kind' | 'runId' | 'unitId' | 'serial' | 'template'>, values: LabelValues, fileName: string): Promise<void> {
    const base = { ...job, printer: this.labels.printerDescription, at: this.now(), ...this.deps.operators.who() };
    try {
      await this.labels.print(job.template, values, fileName);
      this.deps.floorStore.recordLabelJob({ ...base, status: 'printed', error: null });
    } catch (err) {
      this.deps.floorStore.recordLabelJob({ ...base, status: 'failed', error: (err as Error).message });
      throw err;
    }
  }
}
