/**
 * The part of mksh (Android's /system/bin/sh) that adb and drivers use in one command line: words
 * with '…', "…" and \ quoting, `$?` and a few variables, `;` `&&` `||` lists, `|` pipelines and
 * the redirections `>` `>>` `2>` `2>&1` `&>` `<`. Anything else is taken literally.
 */

export interface Redirect {
  fd: 1 | 2;
  /** A path, or "&1" for 2>&1. */
  target: string;
  append: boolean;
}

export interface SimpleCommand {
  /** Words; `$?` is left as STATUS_MARK for the runner to fill in. */
  words: string[];
  redirects: Redirect[];
}

export interface ListItem {
  pipeline: SimpleCommand[];
  /** How this item runs after the previous one. */
  after: ';' | '&&' | '||';
}

export class ShellSyntaxError extends Error {
  override name = 'ShellSyntaxError';
}

export const STATUS_MARK = '\u0000?';
const VARIABLES: Record<string, string> = {
  HOME: '/',
  USER: 'shell',
  PATH: '/product/bin:/apex/com.android.runtime/bin:/system/bin:/system/xbin',
  TMPDIR: '/data/local/tmp',
};

type Token = { kind: 'word'; value: string } | { kind: 'op'; value: string };

function variable(line: string, at: number): { value: string; end: number } | null {
  if (line[at + 1] === '?') return { value: STATUS_MARK, end: at + 2 };
  const braced = line[at + 1] === '{';
  const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(line.slice(at + (braced ? 2 : 1)));
  if (!m) return null;
  const end = at + (braced ? 2 : 1) + m[0].length + (braced ? 1 : 0);
  return { value: VARIABLES[m[0]] ?? '', end };
}

function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  let word: string | null = null;
  const flush = () => {
    if (word !== null) tokens.push({ kind: 'word', value: word });
    word = null;
  };
  let i = 0;
  while (i < line.length) {
    const c = line[i] as string;
    if (c === ' ' || c === '\t' || c === '\n') {
      flush();
      i++;
    } else if (c === '#' && word === null) {
      break;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new ShellSyntaxError("syntax error: unterminated '");
      word = (word ?? '') + line.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      let value = '';
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\' && '"\\$`'.includes(line[i + 1] ?? '')) {
          value += line[i + 1];
          i += 2;
        } else if (line[i] === '$' && variable(line, i)) {
          const v = variable(line, i) as { value: string; end: number };
          value += v.value;
          i = v.end;
        } else value += line[i++];
      }
      if (i >= line.length) throw new ShellSyntaxError('syntax error: unterminated "');
      word = (word ?? '') + value;
      i++;
    } else if (c === '\\') {
      word = (word ?? '') + (line[i + 1] ?? '');
      i += 2;
    } else if (c === '$' && variable(line, i)) {
      const v = variable(line, i) as { value: string; end: number };
      word = (word ?? '') + v.value;
      i = v.end;
    } else {
      const op = ['2>&1', '&&', '||', '>>', '2>>', '2>', '&>', ';', '|', '>', '<'].find((o) => line.startsWith(o, i) && (o[0] !== '2' || word === null));
      if (op) {
        flush();
        tokens.push({ kind: 'op', value: op });
        i += op.length;
      } else {
        word = (word ?? '') + c;
        i++;
      }
    }
  }
  flush();
  return tokens;
}

/** Parses one command line into list items. */
export function parseCommandLine(line: string): ListItem[] {
  const items: ListItem[] = [];
  let pipeline: SimpleCommand[] = [];
  let current: SimpleCommand = { words: [], redirects: [] };
  let after: ListItem['after'] = ';';
  const tokens = tokenize(line);
  const endCommand = () => {
    if (!current.words.length && !current.redirects.length) throw new ShellSyntaxError('syntax error: missing command');
    pipeline.push(current);
    current = { words: [], redirects: [] };
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.kind === 'word') current.words.push(t.value);
    else if (t.value === '|') endCommand();
    else if (t.value === ';' || t.value === '&&' || t.value === '||') {
      if (!current.words.length && !pipeline.length && t.value === ';') continue;
      endCommand();
      items.push({ pipeline, after });
      pipeline = [];
      after = t.value;
    } else if (t.value === '2>&1') current.redirects.push({ fd: 2, target: '&1', append: false });
    else {
      const target = tokens[++i];
      if (!target || target.kind !== 'word') throw new ShellSyntaxError(`syntax error: '${t.value}' unexpected`);
      if (t.value === '<') continue;
      const fds: (1 | 2)[] = t.value === '&>' ? [1, 2] : t.value.startsWith('2') ? [2] : [1];
      for (const fd of fds) current.redirects.push({ fd, target: target.value, append: t.value.endsWith('>>') });
    }
  }
  if (current.words.length || current.redirects.length) endCommand();
  if (pipeline.length) items.push({ pipeline, after });
  return items;
}
