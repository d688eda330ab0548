import { describe, expect, it } from 'vitest';
import { formatSlotLabel, hubIndexOf, hubLetters, parseSlotLabel, slotPosition } from '../../shared/slot-label.js';

describe('slot labels', () => {
  it('count A..Z, then AA..AZ, BA.., ZZ, AAA like spreadsheet columns', () => {
    expect([0, 1, 25, 26, 27, 51, 52, 701, 702].map(hubLetters)).toEqual(['A', 'B', 'Z', 'AA', 'AB', 'AZ', 'BA', 'ZZ', 'AAA']);
  });

  it('hub letters and hub index are inverses', () => {
    for (let i = 0; i < 2000; i++) expect(hubIndexOf(hubLetters(i))).toBe(i);
  });

  it('format and parse round-trip through every position of 40 hubs', () => {
    for (let p = 0; p < 40 * 16; p++) expect(slotPosition(formatSlotLabel(p))).toBe(p);
    expect(formatSlotLabel(0)).toBe('A1');
    expect(formatSlotLabel(15)).toBe('A16');
    expect(formatSlotLabel(16)).toBe('B1');
    expect(formatSlotLabel(26 * 16)).toBe('AA1');
    expect(formatSlotLabel(9, 4)).toBe('C2');
  });

  it('parses grid labels and nothing else', () => {
    expect(parseSlotLabel('AB12')).toEqual({ hub: 'AB', hubIndex: 27, number: 12 });
    expect(parseSlotLabel('Tisch 2')).toBeNull();
    expect(parseSlotLabel('a1')).toBeNull();
    expect(parseSlotLabel(null)).toBeNull();
  });

  it('a position exists only for a number on the hub; lower case reads as upper', () => {
    expect(slotPosition('b3')).toBe(18);
    expect(slotPosition('AA1')).toBe(416);
    expect(slotPosition('A17')).toBeNull();
    expect(slotPosition('A0')).toBeNull();
    expect(slotPosition('A5', 4)).toBeNull();
    expect(slotPosition('Tisch 2')).toBeNull();
  });
});
