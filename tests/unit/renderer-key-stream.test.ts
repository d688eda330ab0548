import { afterEach, describe, expect, it, vi } from 'vitest';
import { KeyStream } from '../../renderer/src/common/key-stream.js';

function setup() {
  const scans: string[] = [];
  const keys: string[] = [];
  const stream = new KeyStream({ onScan: (c) => scans.push(c), onKey: (k) => void keys.push(k) }, { maxGapMs: 50 });
  /** Feeds keys at the given times (ms). */
  const feed = (events: [key: string, at: number][]) => events.map(([key, at]) => stream.handle({ key }, at));
  return { stream, scans, keys, feed };
}

describe('KeyStream: scanner or person', () => {
  afterEach(() => vi.useRealTimers());

  it('a fast burst ending with Enter is one scan, and no letter of it fires a shortcut', () => {
    vi.useFakeTimers();
    const { scans, keys, feed } = setup();
    const code = 'DMPC9ZTPRJU0';
    const taken = feed([...[...code].map((ch, i) => [ch, 1000 + i * 8] as [string, number]), ['Enter', 1000 + code.length * 8 + 5]]);
    vi.advanceTimersByTime(500);
    expect(scans).toEqual([code]);
    expect(keys).toEqual([]);
    expect(taken.every(Boolean)).toBe(true);
  });

  it('accepts an Enter that is dispatched late after the burst', () => {
    const { scans, feed } = setup();
    feed([
      ['A', 0],
      ['B', 10],
      ['C', 20],
      ['D', 30],
      ['Enter', 450],
    ]);
    expect(scans).toEqual(['ABCD']);
  });

  it('a single letter on its own becomes a shortcut once no second one follows', () => {
    vi.useFakeTimers();
    const { scans, keys, feed } = setup();
    feed([['r', 0]]);
    expect(keys).toEqual([]);
    vi.advanceTimersByTime(100);
    expect(keys).toEqual(['r']);
    expect(scans).toEqual([]);
  });

  it('slow typing is not a scan: the letters are shortcuts one by one', () => {
    vi.useFakeTimers();
    const { stream, scans, keys } = setup();
    stream.handle({ key: 'd' }, 0);
    vi.advanceTimersByTime(200);
    stream.handle({ key: 'n' }, 200);
    vi.advanceTimersByTime(200);
    stream.handle({ key: 'Enter' }, 400);
    expect(scans).toEqual([]);
    expect(keys).toEqual(['d', 'n', 'Enter']);
  });

  it('a burst interrupted by a pause is dropped, not half-scanned', () => {
    const { scans, keys, feed } = setup();
    feed([
      ['A', 0],
      ['B', 10],
      ['C', 20],
      ['X', 400],
      ['Y', 410],
      ['Z', 420],
      ['Enter', 430],
    ]);
    expect(scans).toEqual(['XYZ']);
    expect(keys).toEqual([]);
  });

  it('navigation keys pass through at once; modifiers and Space never enter a scan', () => {
    const { scans, keys, feed } = setup();
    const taken = feed([
      ['ArrowRight', 0],
      ['Shift', 5],
      [' ', 10],
      ['Escape', 20],
    ]);
    expect(keys).toEqual(['ArrowRight', ' ', 'Escape']);
    expect(scans).toEqual([]);
    expect(taken).toEqual([false, false, false, false]);
  });

  it('a code shorter than the minimum is not a scan', () => {
    const { scans, keys, feed } = setup();
    feed([
      ['A', 0],
      ['B', 5],
      ['Enter', 10],
    ]);
    expect(scans).toEqual([]);
    expect(keys).toEqual(['Enter']);
  });

  it('Shift held for capitals inside a burst does not break it', () => {
    const { scans, feed } = setup();
    feed([
      ['Shift', 0],
      ['H', 2],
      ['Shift', 6],
      ['4', 9],
      ['Shift', 12],
      ['R', 14],
      ['Enter', 20],
    ]);
    expect(scans).toEqual(['H4R']);
  });

  it('N then D within 100 ms (a person, not a scanner) are two shortcuts, in order, not a swallowed scan', () => {
    vi.useFakeTimers();
    const scans: string[] = [];
    const keys: string[] = [];
    // The station's own setting: characters up to 100 ms apart still belong to one burst.
    const stream = new KeyStream({ onScan: (c) => scans.push(c), onKey: (k) => void keys.push(k) }, { maxGapMs: 100 });
    stream.handle({ key: 'n' }, 1000);
    vi.advanceTimersByTime(60);
    stream.handle({ key: 'd' }, 1060);
    vi.advanceTimersByTime(300);
    expect(keys).toEqual(['n', 'd']);
    expect(scans).toEqual([]);
    // And when the next key comes after a pause, before the timer: the pair is replayed first.
    stream.handle({ key: 'n' }, 2000);
    stream.handle({ key: 'd' }, 2050);
    stream.handle({ key: 'ArrowRight' }, 2080);
    expect(keys).toEqual(['n', 'd', 'n', 'd', 'ArrowRight']);
    expect(scans).toEqual([]);
  });

  it('says a burst is under way while its characters come fast, so a field that took focus mid-scan does not split it', () => {
    const { stream } = setup();
    expect(stream.inBurst(0)).toBe(false);
    stream.handle({ key: 'D' }, 1000);
    stream.handle({ key: 'M' }, 1008);
    expect(stream.inBurst(1016)).toBe(true);
    expect(stream.inBurst(1200)).toBe(false);
  });
});
