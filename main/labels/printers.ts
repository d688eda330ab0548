import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { z } from 'zod';
import { printerConfigViewSchema } from '../../shared/contract/floor-api.js';
import { message } from '../../shared/messages/catalogue.js';
import { LabelError, type LabelMessage } from './label-errors.js';

/** Where labels go (zpl-tcp, system queue, pdf-file, none); stored as the station setting `label_printer`. */
export const printerConfigSchema = printerConfigViewSchema;
export type PrinterConfig = z.output<typeof printerConfigSchema>;

/** The printer, its queue or its folder did not take the label. */
export class PrinterError extends LabelError {
  override name = 'PrinterError';
}

/** What a printer gets for one job: the ZPL and a lazily rendered PDF of the same label(s). */
export interface PrintJob {
  name: string;
  zpl: string;
  pdf(): Promise<Buffer>;
}

export interface LabelPrinter {
  /** "ZPL 10.0.0.5:9100", "lp Etiketten", "PDF /data/labels": shown with the label job. */
  readonly description: string;
  print(job: PrintJob): Promise<void>;
}

export function describePrinter(c: PrinterConfig): string {
  switch (c.kind) {
    case 'zpl-tcp':
      return `ZPL ${c.host}:${c.port}`;
    case 'system':
      return `lp ${c.queue} (${c.format})`;
    case 'pdf-file':
      return `PDF ${c.dir}`;
    default:
      return 'none';
  }
}

export function createPrinter(c: PrinterConfig, opts: { timeoutMs?: number; lpCommand?: string } = {}): LabelPrinter {
  const description = describePrinter(c);
  switch (c.kind) {
    case 'zpl-tcp':
      return { description, print: (job) => sendZpl(c.host, c.port, job.zpl, opts.timeoutMs ?? 10_000) };
    case 'system':
      return { description, print: (job) => printToQueue(c.queue, c.format, job, opts.lpCommand ?? 'lp', opts.timeoutMs ?? 30_000) };
    case 'pdf-file':
      return { description, print: (job) => writePdf(c.dir, job) };
    default:
      return { description, print: async () => undefined };
  }
}

/** Sends ZPL to a printer's raw port and waits until it has taken all of it. */
export function sendZpl(host: string, port: number, zpl: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let settled = false;
    const printer = `${host}:${port}`;
    const fail = (text: LabelMessage) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      reject(new PrinterError(text));
    };
    socket.setTimeout(timeoutMs, () => fail(message('label.printer-silent', { printer, seconds: Math.round(timeoutMs / 1000) })));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') fail(message('label.printer-refused', { printer, port }));
      else if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') fail(message('label.printer-host', { host }));
      else fail(message('label.printer-error', { printer, detail: err.message }));
    });
    socket.once('connect', () => {
      socket.end(zpl, 'utf8');
    });
    socket.once('close', (hadError) => {
      if (settled || hadError) return;
      settled = true;
      resolve();
    });
  });
}

async function printToQueue(queue: string, format: 'pdf' | 'zpl', job: PrintJob, lp: string, timeoutMs: number): Promise<void> {
  const data = format === 'zpl' ? Buffer.from(job.zpl, 'utf8') : await job.pdf();
  const args = ['-d', queue, '-t', job.name, ...(format === 'zpl' ? ['-o', 'raw'] : [])];
  await new Promise<void>((resolve, reject) => {
    const child = spawn(lp, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill();
      reject(new PrinterError(message('label.queue-silent', { queue, seconds: Math.round(timeoutMs / 1000) })));
    }, timeoutMs);
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new PrinterError(
          err.code === 'ENOENT' ? message('label.lp-missing', { command: lp }) : message('label.lp-failed', { command: lp, detail: err.message }),
        ),
      );
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new PrinterError(message('label.queue-refused', { queue, detail: stderr.trim() || `${lp}: exit ${code}` })));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(data);
  });
}

async function writePdf(dir: string, job: PrintJob): Promise<void> {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new PrinterError(message('label.folder', { dir, detail: (err as Error).message }));
  }
  const file = path.join(dir, `${job.name.replace(/[^A-Za-z0-9._-]/g, '_')}.pdf`);
  const tmp = `${file}.tmp`;
  const pdf = await job.pdf();
  fs.writeFileSync(tmp, pdf);
  fs.renameSync(tmp, file);
}
