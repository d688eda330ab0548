import { message } from '../../shared/messages/catalogue.js';
import { renderLabelPdf, renderLabelSvg } from './label-graphics.js';
import { LabelTemplateError, resolveLabel, type LabelTemplate, type LabelValues, type ResolvedLabel } from './label-template.js';
import { renderZpl } from './label-zpl.js';
import { createPrinter, describePrinter, type LabelPrinter, type PrinterConfig } from './printers.js';

/** Renders templates and sends them to the configured printer. */
export class LabelService {
  private printer: LabelPrinter;
  private config: PrinterConfig;

  constructor(
    private readonly templates: ReadonlyMap<string, LabelTemplate>,
    config: PrinterConfig,
    private readonly printerOptions: { timeoutMs?: number; lpCommand?: string } = {},
  ) {
    this.config = config;
    this.printer = createPrinter(config, printerOptions);
  }

  get printerConfig(): PrinterConfig {
    return this.config;
  }

  get printerDescription(): string {
    return describePrinter(this.config);
  }

  setPrinter(config: PrinterConfig): void {
    this.config = config;
    this.printer = createPrinter(config, this.printerOptions);
  }

  templateIds(): string[] {
    return [...this.templates.keys()].sort();
  }

  template(id: string): LabelTemplate {
    const t = this.templates.get(id);
    if (!t) throw new LabelTemplateError(message('label.no-template', { template: id, known: this.templateIds().join(', ') || '-' }));
    return t;
  }

  resolve(templateId: string, values: LabelValues): ResolvedLabel {
    return resolveLabel(this.template(templateId), values);
  }

  preview(templateId: string, values: LabelValues): { svg: string; zpl: string } {
    const label = this.resolve(templateId, values);
    return { svg: renderLabelSvg(label), zpl: renderZpl(label) };
  }

  /** Prints one label; returns the printer's description for the label job record. */
  async print(templateId: string, values: LabelValues, name: string): Promise<{ printer: string; zpl: string }> {
    const label = this.resolve(templateId, values);
    const zpl = renderZpl(label);
    await this.printer.print({ name, zpl, pdf: () => renderLabelPdf([label]) });
    return { printer: this.printer.description, zpl };
  }
}
