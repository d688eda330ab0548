/**
 * The part of mksh (Android's /system/bin/sh) that adb clients and drivers put in one command
 * line: words with '…', "…" and \ quoting, `$?`, `$(…)` and a few variables; `;` `&&` `||` and
 * newlines; `|` pipelines; `while`/`until … do … done` and `if … then … elif … else … fi` (adbkit's
 * waitBootComplete is `while getprop sys.boot_completed; do sleep 1; done`); the redirections
 * `>` `>>` `2>` `2>>` `2>&1` `&>` `<`. No field splitting, globbing or functions.
 */

export interface Redirect {
  fd: 1 | 2;
  /** A path, or "&1" for 2>&1. */
  target: string;
  append: boolean;
}

export interface SimpleCommand {
  kind: 'simple';
  /** Words; `$?` is STATUS_MARK and `$(…)` is substitutionMark(i) for the runner to fill in. */
  words: string[];
  redirects: Redirect[];
  /** Command lines of the `$(…)` in the words, by index. */
  substitutions: string[];
}

export interface LoopCommand {
  kind: 'while' | 'until';
  condition: ListItem[];
  body: ListItem[];
}

export interface IfCommand {
  kind: 'if';
  branches: { condition: ListItem[]; body: ListItem[] }[];
  otherwise: ListItem[];
}

export type Command = SimpleCommand | LoopCommand | IfCommand;

export interface ListItem {
  pipeline: Command[];
  /** How this item runs after the previous one. */
  after: ';' | '&&' | '||';
}

export class ShellSyntaxError extends Error {
  override name = 'ShellSyntaxError';
}

export const STATUS_MARK = '\u0000?';
export function substitutionMark(i: number): string {
  return `\u0001${i}\u0002`;
}
/** Finds substitutionMark(i) in a word; group 1 is i. */
export function substitutionMarks(): RegExp {
  return new RegExp(`${String.fromCharCode(1)}(\\d+)${String.fromCharCode(2)}`, 'g');
}
const VARIABLES: Record<string, string> = {
  HOME: '/',
  USER: 'shell',
  PATH: '/product/bin:/apex/com.android.runtime/bin:/system/bin:/system/xbin',
  TMPDIR: '/data/local/tmp',
};
const RESERVED = new Set(['while', 'until', 'do', 'done', 'if', 'then', 'elif', 'else', 'fi']);
const OPERATORS = ['2>&1', '&&', '||', '>>', '2>>', '2>', '&>', ';', '|', '>', '<', '\n'];

type Token = { kind: 'word'; value: string; quoted: boolean; substitutions: string[] } | { kind: 'op'; value: string };

/** The end of a `$(…)` that starts at `at` (index of `$`), quotes and nesting respected. */
function substitutionEnd(line: string, at: number): number {
  let depth = 0;
  for (let i = at + 1; i < line.length; i++) {
    const c = line[i];
    if (c === "'") i = line.indexOf("'", i + 1);
    else if (c === '\\') i++;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
    if (i < 0) break;
  }
  throw new ShellSyntaxError("syntax error: unterminated '$('");
}

class Tokenizer {
  private readonly line: string;
  private i = 0;
  private word: string | null = null;
  private quoted = false;
  private substitutions: string[] = [];
  readonly tokens: Token[] = [];

  constructor(line: string) {
    this.line = line;
    this.run();
  }

  private flush(): void {
    if (this.word !== null) this.tokens.push({ kind: 'word', value: this.word, quoted: this.quoted, substitutions: this.substitutions });
    this.word = null;
    this.quoted = false;
    this.substitutions = [];
  }

  private append(text: string): void {
    this.word = (this.word ?? '') + text;
  }

  /** `$…` at the cursor: appends its expansion and returns true, or false for a literal `$`. */
  private dollar(): boolean {
    const line = this.line;
    const next = line[this.i + 1];
    if (next === '?') {
      this.append(STATUS_MARK);
      this.i += 2;
      return true;
    }
    if (next === '(') {
      const end = substitutionEnd(line, this.i);
      this.append(substitutionMark(this.substitutions.push(line.slice(this.i + 2, end)) - 1));
      this.i = end + 1;
      return true;
    }
    const braced = next === '{';
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(line.slice(this.i + (braced ? 2 : 1)));
    if (!m) return false;
    this.append(VARIABLES[m[0]] ?? '');
    this.i += (braced ? 2 : 1) + m[0].length + (braced ? 1 : 0);
    return true;
  }

  private run(): void {
    const line = this.line;
    while (this.i < line.length) {
      const c = line[this.i] as string;
      if (c === ' ' || c === '\t') {
        this.flush();
        this.i++;
      } else if (c === '#' && this.word === null) {
        while (this.i < line.length && line[this.i] !== '\n') this.i++;
      } else if (c === "'") {
        const end = line.indexOf("'", this.i + 1);
        if (end < 0) throw new ShellSyntaxError("syntax error: unterminated '");
        this.append(line.slice(this.i + 1, end));
        this.quoted = true;
        this.i = end + 1;
      } else if (c === '"') {
        this.quoted = true;
        this.append('');
        this.i++;
        while (this.i < line.length && line[this.i] !== '"') {
          if (line[this.i] === '\\' && '"\\$`'.includes(line[this.i + 1] ?? '')) {
            this.append(line[this.i + 1] as string);
            this.i += 2;
          } else if (!(line[this.i] === '$' && this.dollar())) this.append(line[this.i++] as string);
        }
        if (this.i >= line.length) throw new ShellSyntaxError('syntax error: unterminated "');
        this.i++;
      } else if (c === '\\') {
        this.append(line[this.i + 1] ?? '');
        this.quoted = true;
        this.i += 2;
      } else if (c === '$' && this.dollar()) {
        // expanded into the word
      } else {
        const op = OPERATORS.find((o) => line.startsWith(o, this.i) && (o[0] !== '2' || this.word === null));
        if (op) {
          this.flush();
          this.tokens.push({ kind: 'op', value: op });
          this.i += op.length;
        } else {
          this.append(c);
          this.i++;
        }
      }
    }
    this.flush();
  }
}

class Parser {
  private readonly tokens: Token[];
  private at = 0;

  constructor(tokens: Token[]) {
    this.tokens = tokens;
  }

  /** A reserved word at a command's start. */
  private reserved(): string | null {
    const t = this.tokens[this.at];
    return t && t.kind === 'word' && !t.quoted && RESERVED.has(t.value) ? t.value : null;
  }

  private expect(word: string): void {
    if (this.reserved() !== word) throw new ShellSyntaxError(`syntax error: '${word}' expected`);
    this.at++;
  }

  private skipSeparators(): void {
    for (let t = this.tokens[this.at]; t && t.kind === 'op' && (t.value === ';' || t.value === '\n'); t = this.tokens[++this.at]);
  }

  /** Items until the end or one of `stop` (a reserved word where a command would start). */
  list(stop: ReadonlySet<string>): ListItem[] {
    const items: ListItem[] = [];
    let after: ListItem['after'] = ';';
    let dangling = false;
    this.skipSeparators();
    while (this.at < this.tokens.length) {
      const word = this.reserved();
      if (word && stop.has(word)) break;
      items.push({ pipeline: this.pipeline(), after });
      dangling = false;
      const t = this.tokens[this.at];
      if (!t) break;
      if (t.kind !== 'op' || t.value === '|') throw new ShellSyntaxError(`syntax error: '${t.value}' unexpected`);
      after = t.value === '&&' || t.value === '||' ? t.value : ';';
      dangling = after !== ';';
      this.at++;
      if (after === ';') this.skipSeparators();
    }
    if (dangling) throw new ShellSyntaxError('syntax error: missing command');
    return items;
  }

  private pipeline(): Command[] {
    const commands = [this.command()];
    while (this.tokens[this.at]?.kind === 'op' && this.tokens[this.at]?.value === '|') {
      this.at++;
      commands.push(this.command());
    }
    return commands;
  }

  private command(): Command {
    const word = this.reserved();
    if (word === 'while' || word === 'until') {
      this.at++;
      const condition = this.list(new Set(['do']));
      this.expect('do');
      const body = this.list(new Set(['done']));
      this.expect('done');
      return { kind: word, condition, body };
    }
    if (word === 'if') {
      this.at++;
      const branches: IfCommand['branches'] = [];
      let otherwise: ListItem[] = [];
      for (;;) {
        const condition = this.list(new Set(['then']));
        this.expect('then');
        branches.push({ condition, body: this.list(new Set(['elif', 'else', 'fi'])) });
        const next = this.reserved();
        this.at++;
        if (next === 'elif') continue;
        if (next === 'else') {
          otherwise = this.list(new Set(['fi']));
          this.expect('fi');
        } else if (next !== 'fi') throw new ShellSyntaxError("syntax error: 'fi' expected");
        return { kind: 'if', branches, otherwise };
      }
    }
    if (word) throw new ShellSyntaxError(`syntax error: '${word}' unexpected`);
    return this.simple();
  }

  private simple(): SimpleCommand {
    const command: SimpleCommand = { kind: 'simple', words: [], redirects: [], substitutions: [] };
    for (let t = this.tokens[this.at]; t; t = this.tokens[this.at]) {
      if (t.kind === 'word') {
        const own = t.substitutions;
        command.words.push(t.value.replace(substitutionMarks(), (_, k: string) => substitutionMark(command.substitutions.push(own[Number(k)] ?? '') - 1)));
      } else if (t.value === '2>&1') command.redirects.push({ fd: 2, target: '&1', append: false });
      else if (['>', '>>', '2>', '2>>', '&>', '<'].includes(t.value)) {
        const target = this.tokens[this.at + 1];
        if (!target || target.kind !== 'word') throw new ShellSyntaxError(`syntax error: '${t.value}' unexpected`);
        this.at++;
        const fds: (1 | 2)[] = t.value === '&>' ? [1, 2] : t.value.startsWith('2') ? [2] : [1];
        if (t.value !== '<') for (const fd of fds) command.redirects.push({ fd, target: target.value, append: t.value.endsWith('>>') });
      } else break;
      this.at++;
    }
    if (!command.words.length && !command.redirects.length) throw new ShellSyntaxError('syntax error: missing command');
    return command;
  }
}

/** Parses a command line (or a script) into list items. */
export function parseCommandLine(line: string): ListItem[] {
  return new Parser(new Tokenizer(line).tokens).list(new Set());
}
