#!/usr/bin/env node
// A configurable USB-serial device for tests and demos. It sits on the far end of a real
// pseudo-terminal pair made by socat: the station opens the PTY at --link like any serial port,
// this program answers on the other end with a small line protocol:
//
//   identify           -> ID serial=<serial> model=<model> fw=<firmware>
//   get <key>          -> <key>=<value>              (ERR unknown setting <key>)
//   set <key> <value>  -> OK <key>=<value>           (ERR unknown setting / ERR bad value)
//   save               -> OK saved                   (settings survive reboot and power loss)
//   reboot             -> OK rebooting, silence for --reboot-ms, then READY (unsaved settings are lost)
//   help               -> the commands
//
// It can be told to misbehave, from the start (--fault) or at run time (a line on its stdin):
//   garble[@cmd]   answer with bytes that are not text (a wrong baud rate, a noisy cable)
//   stall[@cmd]    never answer
//   partial[@cmd]  send half an answer without its line ending, then nothing
//   vanish[@cmd]   the device disappears: socat ends, the PTY is gone, this program exits
//   extra-ok[@cmd] answer, then a second line "OK" in the same write (a device that confirms twice)
//   error[@cmd]    answer "ERROR"
//   none           behave again
// "@cmd" limits the fault to one command ("stall@save"); stdin also takes "vanish" and "quit", and
// "serial <SN>": another device (fresh settings) is now on the far end of the same port.
//
//   node tests/tools/serial-device-emulator.mjs --link /tmp/bench/dev1 --serial SN0001 \
//        [--model BL-SENSOR-2] [--firmware 2.4.1] [--set name=] [--state FILE] [--reboot-ms 300]
//        [--line-ending crlf|lf|cr] [--fault stall@save] [--control stdin|none]
//
// Prints "ready <link>" on stdout once the PTY is there, "gone" when it vanished.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    link: { type: 'string' },
    serial: { type: 'string', default: 'EMU000001' },
    model: { type: 'string', default: 'BL-SENSOR-2' },
    firmware: { type: 'string', default: '2.4.1' },
    set: { type: 'string', multiple: true, default: [] },
    state: { type: 'string' },
    'reboot-ms': { type: 'string', default: '300' },
    'line-ending': { type: 'string', default: 'crlf' },
    fault: { type: 'string', multiple: true, default: [] },
    socat: { type: 'string', default: 'socat' },
    control: { type: 'string', default: 'stdin' },
  },
  strict: true,
});

if (!args.link) {
  process.stderr.write('serial-device-emulator: --link PATH is required (where the PTY appears)\n');
  process.exit(2);
}
const link = path.resolve(args.link);
const EOL = { crlf: '\r\n', lf: '\n', cr: '\r' }[args['line-ending']];
if (!EOL) {
  process.stderr.write('serial-device-emulator: --line-ending is crlf, lf or cr\n');
  process.exit(2);
}
const rebootMs = Number(args['reboot-ms']);

// Settings: what the device runs with (live) and what survives a reboot (saved).
const defaults = { name: '', interval: '60', server: '', mode: 'normal' };
for (const kv of args.set) {
  const i = kv.indexOf('=');
  if (i < 1) {
    process.stderr.write(`serial-device-emulator: --set takes key=value, got "${kv}"\n`);
    process.exit(2);
  }
  defaults[kv.slice(0, i)] = kv.slice(i + 1);
}
let saved = { ...defaults };
if (args.state && fs.existsSync(args.state)) saved = { ...defaults, ...JSON.parse(fs.readFileSync(args.state, 'utf8')) };
let live = { ...saved };
const validators = {
  interval: (v) => /^\d{1,5}$/.test(v) && Number(v) > 0,
  mode: (v) => ['normal', 'eco', 'service'].includes(v),
  name: (v) => /^[\w.-]{0,32}$/.test(v),
  server: (v) => v.length <= 120,
};

/** @type {{ kind: string, on: string | null }[]} */
let faults = args.fault.map(parseFault);
function parseFault(text) {
  const [kind, on] = text.split('@');
  if (!['garble', 'stall', 'partial', 'vanish', 'extra-ok', 'error', 'none'].includes(kind)) {
    process.stderr.write(`serial-device-emulator: unknown fault "${text}"\n`);
    process.exit(2);
  }
  return { kind, on: on ?? null };
}

let rebooting = false;
let stalled = false;
let gone = false;

fs.mkdirSync(path.dirname(link), { recursive: true });
const socat = spawn(args.socat, [`pty,raw,echo=0,link=${link}`, 'STDIO'], { stdio: ['pipe', 'pipe', 'inherit'] });
socat.on('error', (err) => {
  process.stderr.write(`serial-device-emulator: cannot start socat: ${err.message}\n`);
  process.exit(3);
});
socat.on('exit', () => {
  if (!gone) {
    gone = true;
    process.stdout.write('gone\n');
  }
  process.exit(0);
});
socat.stdin.on('error', () => {});

function write(text) {
  if (!gone) socat.stdin.write(text);
}
function answer(line) {
  write(line + EOL);
}

// Received bytes -> lines; CR, LF and CRLF all end a line.
let buffer = '';
socat.stdout.on('data', (chunk) => {
  buffer += chunk.toString('latin1');
  for (;;) {
    const m = /\r\n|\r|\n/.exec(buffer);
    if (!m) break;
    const line = buffer.slice(0, m.index).trim();
    buffer = buffer.slice(m.index + m[0].length);
    if (line) handle(line);
  }
  if (buffer.length > 1024) buffer = '';
});

function handle(line) {
  if (rebooting || stalled) return;
  const [command = '', ...rest] = line.split(/\s+/);
  const cmd = command.toLowerCase();
  const fault = faults.find((f) => f.kind !== 'none' && (f.on === null || f.on === cmd));
  if (fault) {
    switch (fault.kind) {
      case 'garble':
        write(Buffer.from([0xfe, 0x81, 0x00, 0x9c, 0xff, 0x1b, 0xc3, 0x28, 0x07, 0xfd, 0x0d, 0x0a]));
        return;
      case 'stall':
        return;
      case 'partial': {
        const full = respond(cmd, rest);
        const text = full[0] ?? 'OK';
        write(text.slice(0, Math.max(1, Math.floor(text.length / 2))));
        stalled = true;
        return;
      }
      case 'vanish':
        vanish();
        return;
      case 'extra-ok':
        write([...respond(cmd, rest), 'OK'].map((l) => l + EOL).join(''));
        return;
      case 'error':
        answer('ERROR');
        return;
    }
  }
  for (const l of respond(cmd, rest)) answer(l);
}

function respond(cmd, rest) {
  switch (cmd) {
    case 'identify':
      return [`ID serial=${args.serial} model=${args.model} fw=${args.firmware}`];
    case 'get': {
      const key = rest[0];
      if (!key) return ['ERR usage: get <key>'];
      if (!(key in live)) return [`ERR unknown setting ${key}`];
      return [`${key}=${live[key]}`];
    }
    case 'set': {
      const [key, ...v] = rest;
      const value = v.join(' ');
      if (!key) return ['ERR usage: set <key> <value>'];
      if (!(key in live)) return [`ERR unknown setting ${key}`];
      if (validators[key] && !validators[key](value)) return [`ERR bad value for ${key}`];
      live[key] = value;
      return [`OK ${key}=${value}`];
    }
    case 'save':
      saved = { ...live };
      if (args.state) fs.writeFileSync(args.state, JSON.stringify(saved));
      return ['OK saved'];
    case 'reboot':
      rebooting = true;
      setTimeout(() => {
        live = { ...saved };
        rebooting = false;
        answer('READY');
      }, rebootMs);
      return ['OK rebooting'];
    case 'help':
      return ['commands: identify, get <key>, set <key> <value>, save, reboot, help'];
    default:
      return [`ERR unknown command ${cmd}`];
  }
}

function vanish() {
  if (gone) return;
  gone = true;
  process.stdout.write('gone\n');
  socat.kill('SIGTERM');
}

// Announce once socat has made the PTY.
const started = Date.now();
const readyTimer = setInterval(() => {
  if (fs.existsSync(link)) {
    clearInterval(readyTimer);
    process.stdout.write(`ready ${link}\n`);
  } else if (Date.now() - started > 10_000) {
    process.stderr.write(`serial-device-emulator: socat did not create ${link}\n`);
    socat.kill('SIGTERM');
    process.exit(3);
  }
}, 20);

// Control lines on stdin: a fault, "vanish" or "quit". --control none: ignore stdin (background runs).
const control = args.control === 'none' ? null : readline.createInterface({ input: process.stdin });
control?.on('line', (text) => {
  const cmd = text.trim();
  if (!cmd) return;
  if (cmd === 'quit' || cmd === 'vanish') {
    vanish();
    return;
  }
  if (cmd.startsWith('serial ')) {
    args.serial = cmd.slice('serial '.length).trim();
    saved = { ...defaults };
    live = { ...saved };
    process.stdout.write(`serial ${args.serial}\n`);
    return;
  }
  const fault = parseFault(cmd.replace(/^fault\s+/, ''));
  stalled = false;
  faults = fault.kind === 'none' ? [] : [fault];
  process.stdout.write(`fault ${cmd}\n`);
});
control?.on('close', () => {
  // The test or the shell that started us is gone: take the PTY away with us.
  vanish();
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, vanish);
