import path from 'node:path';
import { ByteQueue } from './byte-queue.js';
import type { EmulatedTablet } from './emulated-tablet.js';
import { STATUS_MARK, ShellSyntaxError, parseCommandLine, type SimpleCommand } from './shell-parser.js';
import { REAL_SECONDS } from './timings.js';

/** Where a command writes and what it reads. */
export interface CommandIo {
  out(data: string | Buffer): void;
  err(data: string | Buffer): void;
  stdin: ByteQueue;
}

/** A command as the device runs it: arguments after the name; resolves to the exit status. */
export type ShellCommand = (args: string[], io: CommandIo, tablet: EmulatedTablet) => Promise<number>;

/** `exit N`: unwinds the running line (thrown, caught by run/runScript). */
class ExitRequest extends Error {
  readonly status: number;
  constructor(status: number) {
    super(`exit ${status}`);
    this.status = status;
  }
}

const DISCARD = (): void => {};

/**
 * Runs command lines as the shell user on the tablet (mksh's grammar as far as shell-parser.ts
 * goes): lists, pipelines (each stage runs to its end, then feeds the next), redirections to
 * /dev/null or a file, `exit`, `sh -c`.
 */
export class AndroidShell {
  private readonly tablet: EmulatedTablet;
  private readonly commands: Readonly<Record<string, ShellCommand>>;

  constructor(tablet: EmulatedTablet, commands: Readonly<Record<string, ShellCommand>>) {
    this.tablet = tablet;
    this.commands = commands;
  }

  /** Runs one line; the status is the last command's (or `exit N`). */
  async run(line: string, io: CommandIo): Promise<number> {
    try {
      return await this.runLine(line, io);
    } catch (err) {
      if (err instanceof ExitRequest) return err.status;
      throw err;
    }
  }

  /** `adb shell` without a command: lines from standard input until it ends. */
  async runScript(io: CommandIo, prompt: string | null): Promise<number> {
    let status = 0;
    let pending = '';
    for (;;) {
      if (prompt !== null) io.out(prompt);
      let newline = pending.indexOf('\n');
      while (newline < 0) {
        const chunk = await io.stdin.readSome();
        if (!chunk) return pending.trim() ? this.run(pending, io) : status;
        pending += chunk.toString('utf8').replace(/\r/g, '\n');
        newline = pending.indexOf('\n');
      }
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      try {
        status = await this.runLine(line, io, status);
      } catch (err) {
        if (err instanceof ExitRequest) return err.status;
        throw err;
      }
    }
  }

  private async runLine(line: string, io: CommandIo, status = 0): Promise<number> {
    let items;
    try {
      items = parseCommandLine(line);
    } catch (err) {
      if (!(err instanceof ShellSyntaxError)) throw err;
      io.err(`/system/bin/sh: ${err.message}\n`);
      return 1;
    }
    for (const item of items) {
      if ((item.after === '&&' && status !== 0) || (item.after === '||' && status === 0)) continue;
      let stdin = io.stdin;
      for (let i = 0; i < item.pipeline.length; i++) {
        const last = i === item.pipeline.length - 1;
        const collected: Buffer[] = [];
        const stageIo: CommandIo = last ? { ...io, stdin } : { out: (d) => collected.push(Buffer.from(d)), err: io.err, stdin };
        status = await this.runSimple(item.pipeline[i] as SimpleCommand, stageIo, status);
        if (!last) {
          stdin = new ByteQueue();
          stdin.push(Buffer.concat(collected));
          stdin.end();
        }
      }
    }
    return status;
  }

  private async runSimple(command: SimpleCommand, io: CommandIo, previous: number): Promise<number> {
    const words = command.words.map((w) => w.split(STATUS_MARK).join(String(previous)));
    const files = new Map<string, { parts: Buffer[]; append: boolean }>();
    const sinks: [CommandIo['out'], CommandIo['err']] = [io.out, io.err];
    for (const r of command.redirects) {
      let sink: CommandIo['out'];
      if (r.target === '&1') sink = sinks[0];
      else if (r.target === '/dev/null') sink = DISCARD;
      else {
        const file = files.get(r.target) ?? { parts: [], append: r.append };
        files.set(r.target, file);
        sink = (d) => file.parts.push(Buffer.from(d));
      }
      sinks[r.fd - 1] = sink;
    }
    const redirected: CommandIo = { out: sinks[0], err: sinks[1], stdin: io.stdin };
    const status = await this.execute(words, redirected);
    for (const [target, file] of files) {
      const existing = file.append ? this.tablet.fs.read(target) : null;
      const data = Buffer.concat([...(existing && typeof existing !== 'string' ? [existing.data] : []), ...file.parts]);
      if (this.tablet.fs.write(target, data, 0o666, Math.floor(Date.now() / 1000))) {
        io.err(`/system/bin/sh: can't create ${target}: Permission denied\n`);
        return 1;
      }
    }
    return status;
  }

  private async execute(words: string[], io: CommandIo): Promise<number> {
    const [name, ...args] = words;
    if (name === undefined) return 0;
    if (name === 'exit') throw new ExitRequest(Number(args[0] ?? 0) & 0xff);
    if ((name === 'sh' || name === '/system/bin/sh') && args[0] === '-c') return this.runLine(args[1] ?? '', io);
    const command = this.commands[name] ?? (name.startsWith('/system/bin/') ? this.commands[path.posix.basename(name)] : undefined);
    if (!command) {
      io.err(`/system/bin/sh: ${name}: inaccessible or not found\n`);
      return 127;
    }
    this.tablet.history.push(words.join(' '));
    await this.tablet.sleep(REAL_SECONDS.shellCommand);
    return command(args, io, this.tablet);
  }
}
