import fs from 'node:fs';
import path from 'node:path';
import { pino, type Logger as PinoLogger } from 'pino';

export type LogLevel = 'info' | 'warn' | 'error';

export interface Logger {
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
}

/** JSON lines in DATA_DIR/logs/<name>.log; warnings and errors also on stderr, where an operator sees them. */
export function createFileLogger(dataDir: string, name: string): Logger & { flush(): void } {
  const dir = path.join(dataDir, 'logs');
  fs.mkdirSync(dir, { recursive: true });
  const file: PinoLogger = pino({ base: { proc: name } }, pino.destination({ dest: path.join(dir, `${name}.log`), sync: false, mkdir: true }));
  return {
    log(level, message, fields) {
      file[level](fields ?? {}, message);
      if (level !== 'info') process.stderr.write(`${level}: ${message}\n`);
    },
    flush() {
      file.flush();
    },
  };
}

export const silentLogger: Logger = { log() {} };

/** What hides secret values (main/secrets/secret-redactor.ts). */
export interface TextRedactor {
  redact(text: string): string;
  redactDeep<T>(value: T): T;
}

/** A logger whose messages and fields pass the redactor first. */
export function redactingLogger(inner: Logger, redactor: TextRedactor): Logger {
  return {
    log(level, message, fields) {
      inner.log(level, redactor.redact(message), fields && redactor.redactDeep(fields));
    },
  };
}
