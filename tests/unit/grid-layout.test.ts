import { describe, expect, it } from 'vitest';
import { gridLayout } from '../../renderer/src/station/state/grid-layout.js';

// Issue 13, item 4: how many columns and how tall a row, for the bench sizes of the issue. The
// sizes are the grid's area under the station header (1920×1080 leaves about 1888×950).

/** `hubs` hubs of 16 slots, the first `used` slots holding a tile. */
function bench(hubs: number, used: number): boolean[][] {
  return Array.from({ length: hubs }, (_, h) => Array.from({ length: 16 }, (_, i) => h * 16 + i < used));
}

describe('grid layout', () => {
  it('64 slots on 1080p: 8 columns of compact tiles, every row on screen', () => {
    const layout = gridLayout({ width: 1888, height: 950, sections: bench(4, 64) });
    expect(layout).toMatchObject({ columns: 8, density: 'compact', fits: true });
    expect(layout.rowHeight).toBeGreaterThanOrEqual(88);
    const height = 8 * layout.rowHeight + 4 * layout.gap + 3 * layout.sectionGap;
    expect(height).toBeLessThanOrEqual(950);
  });

  it('24 slots on 1080p: two hubs, the free row of the second is short, tiles tall', () => {
    const layout = gridLayout({ width: 1888, height: 950, sections: bench(2, 24) });
    expect(layout).toMatchObject({ columns: 8, fits: true });
    expect(layout.rows).toEqual([
      [true, true],
      [true, false],
    ]);
    expect(layout.freeRowHeight).toBeLessThan(layout.rowHeight / 4);
    expect(layout.rowHeight).toBeGreaterThanOrEqual(200);
  });

  it('density follows the slot count and steps down for a small screen (24 slots on 1366×768)', () => {
    expect(gridLayout({ width: 1888, height: 950, sections: bench(2, 32) }).density).toBe('normal');
    const laptop = gridLayout({ width: 1334, height: 610, sections: bench(2, 24) });
    expect(laptop).toMatchObject({ columns: 8, density: 'compact', fits: true });
  });

  it('256 slots cannot fit: compact tiles, the area scrolls', () => {
    const layout = gridLayout({ width: 1888, height: 950, sections: bench(16, 256) });
    expect(layout).toMatchObject({ density: 'compact', fits: false });
    expect(layout.columns).toBe(8);
  });
});
