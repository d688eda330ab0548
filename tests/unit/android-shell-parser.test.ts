import { describe, expect, it } from 'vitest';
import { STATUS_MARK, ShellSyntaxError, parseCommandLine, substitutionMark } from '../emulators/android/shell-parser.js';

const simple = (words: string[], redirects: unknown[] = [], substitutions: string[] = []) => ({ kind: 'simple', words, redirects, substitutions });

describe('the emulated tablet shell parses command lines as mksh does', () => {
  it('keeps quoted words whole and splits lists, pipelines and redirections', () => {
    expect(parseCommandLine(`cmd wifi connect-network "Schulnetz 5G" wpa2 'ge"heim' && echo a\\ b; pm list packages | grep x >/dev/null 2>&1`)).toEqual([
      { after: ';', pipeline: [simple(['cmd', 'wifi', 'connect-network', 'Schulnetz 5G', 'wpa2', 'ge"heim'])] },
      { after: '&&', pipeline: [simple(['echo', 'a b'])] },
      {
        after: ';',
        pipeline: [
          simple(['pm', 'list', 'packages']),
          simple(
            ['grep', 'x'],
            [
              { fd: 1, target: '/dev/null', append: false },
              { fd: 2, target: '&1', append: false },
            ],
          ),
        ],
      },
    ]);
  });

  it('ends a list with && or || followed by a command', () => {
    expect(parseCommandLine('settings put global a 1 && settings get global a').map((i) => i.after)).toEqual([';', '&&']);
    expect(parseCommandLine('false || echo $?').map((i) => i.after)).toEqual([';', '||']);
  });

  it('leaves $? and $(…) for the runner, expands known variables and treats 2> only at a word start as a redirection', () => {
    expect(parseCommandLine('echo $? "${HOME}x" $NOPE "[$(getprop a) $(id -u)]" a2>b')).toEqual([
      {
        after: ';',
        pipeline: [
          simple(
            ['echo', STATUS_MARK, '/x', '', `[${substitutionMark(0)} ${substitutionMark(1)}]`, 'a2'],
            [{ fd: 1, target: 'b', append: false }],
            ['getprop a', 'id -u'],
          ),
        ],
      },
    ]);
  });

  it('parses while/until loops and if/elif/else, with reserved words only where a command starts', () => {
    expect(parseCommandLine('while getprop sys.boot_completed 2>/dev/null; do sleep 1; done')).toEqual([
      {
        after: ';',
        pipeline: [
          {
            kind: 'while',
            condition: [{ after: ';', pipeline: [simple(['getprop', 'sys.boot_completed'], [{ fd: 2, target: '/dev/null', append: false }])] }],
            body: [{ after: ';', pipeline: [simple(['sleep', '1'])] }],
          },
        ],
      },
    ]);
    const [item] = parseCommandLine('if false; then echo done; elif true; then echo fi; else echo x; fi');
    expect(item?.pipeline[0]).toMatchObject({
      kind: 'if',
      branches: [{ body: [{ pipeline: [simple(['echo', 'done'])] }] }, { body: [{ pipeline: [simple(['echo', 'fi'])] }] }],
      otherwise: [{ pipeline: [simple(['echo', 'x'])] }],
    });
  });

  it('refuses unterminated quotes and loops, stray reserved words and a missing command', () => {
    for (const line of ["echo 'open", 'echo "$(id', 'while true; do echo', 'done', 'echo a && || b', 'if true; then echo']) {
      expect(() => parseCommandLine(line), line).toThrow(ShellSyntaxError);
    }
  });
});
