import { AndroidShell, type CommandIo, type ShellCommand } from './android-shell.js';
import { BASIC_COMMANDS } from './basic-commands.js';
import type { AdbdStream } from './adbd-stream.js';
import type { ServiceStarter } from './adbd-transport.js';
import { ByteQueue } from './byte-queue.js';
import type { EmulatedTablet } from './emulated-tablet.js';
import { FILE_COMMANDS } from './file-commands.js';
import { runSync } from './sync-service.js';
import { systemCommands } from './system-commands.js';

/**
 * The services adbd offers on OPEN: `shell:` (raw), `shell,v2,…:` (shell protocol framing:
 * id byte 0 stdin / 1 stdout / 2 stderr / 3 exit / 4 close-stdin, then a 4-byte LE length),
 * `exec:` (raw, no shell protocol), `abb_exec:` and `abb:` (cmd arguments separated by NUL),
 * `sync:` and `reboot:`. A legacy tablet refuses shell v2 and abb, as an adbd without those
 * features does (the host does not ask for them then).
 */

const SHELL_ID = { stdin: 0, stdout: 1, stderr: 2, exit: 3, closeStdin: 4, windowSize: 5 } as const;

function frame(kind: number, data: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head[0] = kind;
  head.writeUInt32LE(data.length, 1);
  return Buffer.concat([head, data]);
}

/** Unpacks shell-protocol packets from the host into standard input. */
async function readFrames(from: ByteQueue, stdin: ByteQueue): Promise<void> {
  for (;;) {
    const head = await from.read(5);
    if (!head) break;
    const data = await from.read(head.readUInt32LE(1));
    if (!data) break;
    if (head[0] === SHELL_ID.stdin) stdin.push(data);
    else if (head[0] === SHELL_ID.closeStdin) stdin.end();
  }
  stdin.end();
}

interface ShellMode {
  v2: boolean;
  pty: boolean;
  command: string;
}

/** `shell[,arg…]:command` → the mode; args are v2, raw, pty and TERM=… */
function shellMode(service: string): ShellMode {
  const colon = service.indexOf(':');
  const args = service.slice(0, colon).split(',').slice(1);
  const command = service.slice(colon + 1);
  return { v2: args.includes('v2'), pty: args.includes('pty') || (!args.includes('raw') && command === ''), command };
}

function streamIo(stream: AdbdStream, v2: boolean, pty: boolean, stdin: ByteQueue): CommandIo {
  const toBuffer = (d: string | Buffer) => {
    const b = typeof d === 'string' ? Buffer.from(d) : d;
    return pty ? Buffer.from(b.toString('utf8').replace(/\r?\n/g, '\r\n')) : b;
  };
  return {
    out: (d) => stream.write(v2 ? frame(SHELL_ID.stdout, toBuffer(d)) : toBuffer(d)),
    err: (d) => stream.write(v2 ? frame(pty ? SHELL_ID.stdout : SHELL_ID.stderr, toBuffer(d)) : toBuffer(d)),
    stdin,
  };
}

async function runShell(stream: AdbdStream, shell: AndroidShell, mode: ShellMode, tablet: EmulatedTablet): Promise<void> {
  let stdin = stream.input;
  if (mode.v2) {
    stdin = new ByteQueue();
    void readFrames(stream.input, stdin);
  }
  const io = streamIo(stream, mode.v2, mode.pty, stdin);
  const status = mode.command ? await shell.run(mode.command, io) : await shell.runScript(io, mode.pty ? `${tablet.spec.device}:/ $ ` : null);
  if (mode.v2) stream.write(frame(SHELL_ID.exit, Buffer.from([status & 0xff])));
  stream.end();
}

async function runAbb(stream: AdbdStream, cmd: ShellCommand, args: string[], v2: boolean, tablet: EmulatedTablet): Promise<void> {
  let stdin = stream.input;
  if (v2) {
    stdin = new ByteQueue();
    void readFrames(stream.input, stdin);
  }
  tablet.history.push(`cmd ${args.join(' ')}`);
  const status = await cmd(args, streamIo(stream, v2, false, stdin), tablet);
  if (v2) stream.write(frame(SHELL_ID.exit, Buffer.from([status & 0xff])));
  stream.end();
}

/** Builds the service table of one tablet. */
export function tabletServices(tablet: EmulatedTablet): (service: string) => ServiceStarter | null {
  const commands: Record<string, ShellCommand> = { ...BASIC_COMMANDS, ...FILE_COMMANDS, ...systemCommands(tablet.spec.legacy) };
  const shell = new AndroidShell(tablet, commands);
  const features = new Set(tablet.features());
  return (service) => {
    tablet.history.push(service);
    if (service.startsWith('shell:') || service.startsWith('shell,')) {
      const mode = shellMode(service);
      if (mode.v2 && !features.has('shell_v2')) return null;
      return (stream) => void runShell(stream, shell, mode, tablet);
    }
    if (service.startsWith('exec:')) {
      const command = service.slice('exec:'.length);
      return (stream) => void runShell(stream, shell, { v2: false, pty: false, command }, tablet);
    }
    if ((service.startsWith('abb_exec:') && features.has('abb_exec')) || (service.startsWith('abb:') && features.has('abb'))) {
      const v2 = service.startsWith('abb:');
      const args = service.slice(service.indexOf(':') + 1).split('\0');
      const cmd = commands['cmd'] as ShellCommand;
      return (stream) => void runAbb(stream, cmd, args, v2, tablet);
    }
    if (service === 'sync:') return (stream) => void runSync(stream, tablet);
    if (service.startsWith('reboot:')) {
      // adbd sets sys.powerctl and answers nothing: the host's stream ends when the device goes down, a moment later.
      return () => void setTimeout(() => tablet.link?.reboot(), 50);
    }
    if (service === 'root:') {
      return (stream) => {
        stream.write('adbd cannot run as root in production builds\n');
        stream.end();
      };
    }
    return null;
  };
}
