import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderLabelPdf, renderLabelSvg } from '../../main/labels/label-graphics.js';
import { LabelService } from '../../main/labels/label-service.js';
import { LabelValueMissingError, loadLabelTemplates, parseLabelTemplate, resolveLabel } from '../../main/labels/label-template.js';
import { renderZpl, zplField } from '../../main/labels/label-zpl.js';
import { PrinterError, createPrinter, printerConfigSchema } from '../../main/labels/printers.js';
import { AppError } from '../../shared/contract/errors.js';
import { formatMessage } from '../../shared/messages/format.js';
import { LabelPrinting } from '../../main/labels/label-printing.js';
import { Operators } from '../../main/shifts/operators.js';
import { FloorStore } from '../../main/store/floor-store.js';
import { StationStore } from '../../main/store/station-store.js';
import { silentLogger } from '../../main/logging/logger.js';
import { startFakeZplPrinter } from '../fixtures/fake-zpl-printer.js';
import { REPO, tempDir } from '../fixtures/shift-seed.js';

const TEMPLATES = loadLabelTemplates(path.join(REPO, 'resources', 'labels'));
const VALUES = { serial: 'DMPXA0000001', deviceName: 'GSN-007', school: 'Grundschule Nord – Außenstelle', assetTag: 'INV-0001' };

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

describe('label templates', () => {
  it('ships the device and unit templates', () => {
    expect([...TEMPLATES.keys()].sort()).toEqual(['device-asset', 'unit']);
  });

  it('fills placeholders, drops optional elements without a value, refuses a missing required one', () => {
    const t = TEMPLATES.get('device-asset')!;
    const label = resolveLabel(t, { serial: 'DMPXA0000001' });
    expect(label.elements.filter((e) => e.type === 'text').map((e) => (e as { text: string }).text)).toEqual(['S/N DMPXA0000001']);
    expect(() => resolveLabel(t, { deviceName: 'GSN-1' })).toThrow(LabelValueMissingError);
    expect(() => resolveLabel(t, { deviceName: 'GSN-1' })).toThrow(/\{serial\}/);
  });

  it('refuses a template with a typo, naming the field', () => {
    const bad = { id: 'x', name: 'X', widthMm: 50, heightMm: 30, elements: [{ type: 'barcode', symbology: 'ean13', x: 1, y: 1, data: '{serial}' }] };
    expect(() => parseLabelTemplate(bad, 'x.json')).toThrow(/x\.json: elements\.0\.symbology/);
  });
});

describe('label errors a person reads', () => {
  it('names the missing field as a catalogue message, in German and English', () => {
    const t = TEMPLATES.get('device-asset')!;
    let caught: unknown;
    try {
      resolveLabel(t, { deviceName: 'GSN-1' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(LabelValueMissingError);
    const text = (caught as LabelValueMissingError).text;
    expect(text.code).toBe('label.value-missing');
    expect(text.params).toMatchObject({ template: 'device-asset' });
    expect(formatMessage(text, 'de')).toMatch(/^Das Etikett „device-asset“ braucht .*\{serial\}/);
    expect(formatMessage(text, 'en')).toMatch(/^Label "device-asset" needs .*\{serial\}/);
  });

  it('says in German why a printer refused, with the printer and port', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    const err = await createPrinter({ kind: 'zpl-tcp', host: '127.0.0.1', port })
      .print({ name: 'x', zpl: '^XA^XZ', pdf: async () => Buffer.alloc(0) })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(PrinterError);
    expect((err as PrinterError).text).toEqual({ code: 'label.printer-refused', params: { printer: `127.0.0.1:${port}`, port } });
    expect(formatMessage((err as PrinterError).text, 'de')).toContain('hat die Verbindung abgelehnt');
  });

  it('keeps the failing field in a label preview error instead of a generic text', () => {
    const resources = path.join(tmp.dir, 'resources');
    fs.mkdirSync(path.join(resources, 'labels'), { recursive: true });
    // The preview's sample values have no OS version: this template needs one.
    const needsOs = { id: 'needs-os', name: 'OS', widthMm: 50, heightMm: 30, elements: [{ type: 'text', x: 1, y: 1, size: 3, text: 'iOS {osVersion}' }] };
    fs.writeFileSync(path.join(resources, 'labels', 'needs-os.json'), JSON.stringify(needsOs));
    const store = new StationStore(path.join(tmp.dir, 'station.db'));
    try {
      const floorStore = new FloorStore(store.db);
      const clock = { now: () => Date.parse('2026-03-02T08:00:00Z') };
      const operators = new Operators({ store, floorStore, clock, shiftChanged: () => undefined });
      const printing = new LabelPrinting({
        store,
        floorStore,
        operators,
        clock,
        logger: silentLogger,
        dataDir: tmp.dir,
        resourcesDir: resources,
        liveRun: () => undefined,
      });
      let caught: unknown;
      try {
        printing.labelPreview('needs-os', undefined);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(AppError);
      expect((caught as AppError).code).toBe('bad_request');
      expect((caught as AppError).text).toEqual({ code: 'label.value-missing', params: { template: 'needs-os', fields: '{osVersion}' } });
      expect(() => printing.labelPreview('no-such', undefined)).toThrow(/No label template "no-such"; this station has needs-os/);
    } finally {
      store.close();
    }
  });
});

describe('ZPL', () => {
  it('renders size, UTF-8, text and all three barcodes in dots at the template dpi', () => {
    const t = parseLabelTemplate(
      {
        id: 't',
        name: 'T',
        widthMm: 50.8,
        heightMm: 25.4,
        dpi: 203,
        elements: [
          { type: 'text', x: 2.54, y: 2.54, size: 2.54, text: '{deviceName}', bold: true },
          { type: 'barcode', symbology: 'code128', x: 2.54, y: 10, module: 0.25, height: 5, data: '{serial}' },
          { type: 'barcode', symbology: 'datamatrix', x: 30, y: 2.54, module: 0.5, data: '{serial}' },
          { type: 'barcode', symbology: 'qr', x: 40, y: 2.54, module: 0.5, data: '{assetTag}' },
          { type: 'box', x: 0, y: 0, w: 50.8, h: 25.4, thickness: 0.254 },
        ],
      },
      't.json',
    );
    expect(renderZpl(resolveLabel(t, VALUES))).toBe(
      [
        '^XA',
        '^CI28',
        '^PW406',
        '^LL203',
        '^LH0,0',
        '^FO20,20^A0N,20,22^FH_^FDGSN-007^FS',
        '^FO20,80^BY2^BCN,40,N,N,N^FH_^FDDMPXA0000001^FS',
        '^FO240,20^BXN,4,200^FH_^FDDMPXA0000001^FS',
        '^FO320,20^BQN,2,4^FH_^FDMA,INV-0001^FS',
        '^FO0,0^GB406,203,2^FS',
        '^XZ',
        '',
      ].join('\n'),
    );
  });

  it('escapes ZPL command characters in data, so a value cannot inject commands', () => {
    expect(zplField('A^XZ~JR_b\\c')).toBe('A_5EXZ_7EJR_5Fb_5Cc');
    const zpl = renderZpl(resolveLabel(TEMPLATES.get('device-asset')!, { ...VALUES, deviceName: 'x^XA^FDevil' }));
    expect(zpl.match(/\^XA/g)).toHaveLength(1);
    expect(zpl).toContain('Grundschule Nord – Außenstelle');
  });
});

describe('preview and PDF', () => {
  it('renders an SVG preview with the barcodes drawn', () => {
    const svg = renderLabelSvg(resolveLabel(TEMPLATES.get('device-asset')!, VALUES));
    expect(svg).toMatch(/^<svg [^>]*width="57mm" height="32mm"/);
    expect(svg).toContain('GSN-007');
    expect(svg).toContain('Außenstelle');
    expect((svg.match(/<path /g) ?? []).length).toBeGreaterThanOrEqual(2);
  });

  it('renders a PDF of the label size that is not blank', async () => {
    const pdf = await renderLabelPdf([resolveLabel(TEMPLATES.get('device-asset')!, VALUES)]);
    const file = path.join(tmp.dir, 'label.pdf');
    fs.writeFileSync(file, pdf);
    expect(execFileSync('pdfinfo', [file], { encoding: 'utf8' })).toMatch(/Page size:\s+161\.57\d* x 90\.70\d* pts/);
    execFileSync('pdftoppm', ['-r', '150', '-gray', file, path.join(tmp.dir, 'p')]);
    const pgm = fs.readFileSync(path.join(tmp.dir, 'p-1.pgm'));
    const body = pgm.subarray(pgm.length - 336 * 189);
    const inked = body.filter((v) => v < 128).length;
    expect(inked / body.length).toBeGreaterThan(0.05);
  });
});

describe('printers', () => {
  it('sends the ZPL of a label to a printer on TCP 9100 (fake printer on 127.0.0.1)', async () => {
    const printer = await startFakeZplPrinter();
    try {
      const service = new LabelService(TEMPLATES, printerConfigSchema.parse({ kind: 'zpl-tcp', host: '127.0.0.1', port: printer.port }));
      const out = await service.print('device-asset', VALUES, 'label-DMPXA0000001');
      expect(out.printer).toBe(`ZPL 127.0.0.1:${printer.port}`);
      await expect.poll(() => printer.jobs.length).toBe(1);
      expect(printer.jobs[0]).toBe(out.zpl);
      expect(printer.jobs[0]).toContain('^FDDMPXA0000001^FS');
    } finally {
      await printer.close();
    }
  });

  it('says what to check when the printer is off', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    const p = createPrinter({ kind: 'zpl-tcp', host: '127.0.0.1', port });
    await expect(p.print({ name: 'x', zpl: '^XA^XZ', pdf: async () => Buffer.alloc(0) })).rejects.toThrow(PrinterError);
    await expect(p.print({ name: 'x', zpl: '^XA^XZ', pdf: async () => Buffer.alloc(0) })).rejects.toThrow(/refused the connection\. Is it switched on/);
  });

  it('prints to a system queue through lp, as PDF or raw ZPL', async () => {
    const lp = path.join(tmp.dir, 'lp');
    fs.writeFileSync(lp, `#!/bin/sh\necho "$@" > "${tmp.dir}/args"\ncat > "${tmp.dir}/data"\n`, { mode: 0o755 });
    const service = new LabelService(TEMPLATES, { kind: 'system', queue: 'Etiketten', format: 'pdf' }, { lpCommand: lp });
    await service.print('device-asset', VALUES, 'label-1');
    expect(fs.readFileSync(path.join(tmp.dir, 'args'), 'utf8').trim()).toBe('-d Etiketten -t label-1');
    expect(fs.readFileSync(path.join(tmp.dir, 'data')).subarray(0, 5).toString()).toBe('%PDF-');
    service.setPrinter({ kind: 'system', queue: 'Zebra', format: 'zpl' });
    await service.print('device-asset', VALUES, 'label-2');
    expect(fs.readFileSync(path.join(tmp.dir, 'args'), 'utf8').trim()).toBe('-d Zebra -t label-2 -o raw');
    expect(fs.readFileSync(path.join(tmp.dir, 'data'), 'utf8')).toMatch(/^\^XA/);
  });

  it('reports a missing lp and a refused job in words', async () => {
    const missing = createPrinter({ kind: 'system', queue: 'q', format: 'zpl' }, { lpCommand: path.join(tmp.dir, 'no-lp') });
    await expect(missing.print({ name: 'x', zpl: '^XA^XZ', pdf: async () => Buffer.alloc(0) })).rejects.toThrow(/is not installed: install CUPS/);
    const lp = path.join(tmp.dir, 'lp-fail');
    fs.writeFileSync(lp, '#!/bin/sh\ncat >/dev/null\necho "lp: The printer or class does not exist." >&2\nexit 1\n', { mode: 0o755 });
    const refusing = createPrinter({ kind: 'system', queue: 'q', format: 'zpl' }, { lpCommand: lp });
    await expect(refusing.print({ name: 'x', zpl: '^XA^XZ', pdf: async () => Buffer.alloc(0) })).rejects.toThrow(
      'The print queue "q" refused the label: lp: The printer or class does not exist.',
    );
  });

  it('writes PDF files into a folder', async () => {
    const service = new LabelService(TEMPLATES, { kind: 'pdf-file', dir: path.join(tmp.dir, 'labels') });
    await service.print('device-asset', VALUES, 'label DMPXA0000001');
    expect(fs.readdirSync(path.join(tmp.dir, 'labels'))).toEqual(['label_DMPXA0000001.pdf']);
  });
});
