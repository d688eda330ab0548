import { describe, expect, it } from 'vitest';
import { STATUS_MARK, ShellSyntaxError, parseCommandLine } from '../emulators/android/shell-parser.js';

describe('the emulated tablet shell parses command lines as mksh does', () => {
  it('keeps quoted words whole and splits lists, pipelines and redirections', () => {
    expect(parseCommandLine(`cmd wifi connect-network "Schulnetz 5G" wpa2 'ge"heim' && echo a\\ b; pm list packages | grep x >/dev/null 2>&1`)).toEqual([
      { after: ';', pipeline: [{ words: ['cmd', 'wifi', 'connect-network', 'Schulnetz 5G', 'wpa2', 'ge"heim'], redirects: [] }] },
      { after: '&&', pipeline: [{ words: ['echo', 'a b'], redirects: [] }] },
      {
        after: ';',
        pipeline: [
          { words: ['pm', 'list', 'packages'], redirects: [] },
          {
            words: ['grep', 'x'],
            redirects: [
              { fd: 1, target: '/dev/null', append: false },
              { fd: 2, target: '&1', append: false },
            ],
          },
        ],
      },
    ]);
  });

  it('leaves $? for the runner, expands known variables and treats 2> only at a word start as a redirection', () => {
    expect(parseCommandLine('echo $? "${HOME}x" $NOPE a2>b')).toEqual([
      { after: ';', pipeline: [{ words: ['echo', STATUS_MARK, '/x', '', 'a2'], redirects: [{ fd: 1, target: 'b', append: false }] }] },
    ]);
  });

  it('refuses an unterminated quote and a missing command', () => {
    expect(() => parseCommandLine("echo 'open")).toThrow(ShellSyntaxError);
    expect(() => parseCommandLine('echo a && || b')).toThrow(ShellSyntaxError);
  });
});
