/**
 * How the bench's slots fill the screen: the number of columns and the row height that show every
 * slot without scrolling where that is possible, with tiles as large as the space allows.
 *
 * Density follows the slot count (16 slots get large tiles, 64 compact ones) and steps down when
 * the screen is small. Rows that hold only free slots are short; rows have a fixed height, so a
 * failed tile's longer text never stretches its row. Column counts divide a 16-port hub (16, 8, 4,
 * 2, 1): a hub's slots line up the same way in every hub.
 */

export type GridDensity = 'roomy' | 'normal' | 'compact';

export interface GridLayoutInput {
  /** Inner size of the grid's area (without its padding), in CSS pixels. */
  width: number;
  height: number;
  /** Per section (a hub, or the ports outside the layout): for each cell, whether a tile is in it. */
  sections: readonly (readonly boolean[])[];
}

export interface GridLayout {
  density: GridDensity;
  columns: number;
  /** Height of a row with at least one tile. */
  rowHeight: number;
  /** Height of a row of free slots only. */
  freeRowHeight: number;
  gap: number;
  sectionGap: number;
  /** Per section, per row: whether it holds a tile (full height) or free slots only (short). */
  rows: boolean[][];
  /** False: even the densest layout needs more height; the area scrolls. */
  fits: boolean;
}

interface DensitySpec {
  minWidth: number;
  minRow: number;
  maxRow: number;
  gap: number;
  sectionGap: number;
  freeRow: number;
}

export const DENSITIES: Record<GridDensity, DensitySpec> = {
  roomy: { minWidth: 236, minRow: 200, maxRow: 290, gap: 12, sectionGap: 18, freeRow: 44 },
  normal: { minWidth: 200, minRow: 168, maxRow: 280, gap: 10, sectionGap: 14, freeRow: 38 },
  compact: { minWidth: 148, minRow: 88, maxRow: 220, gap: 6, sectionGap: 10, freeRow: 30 },
};

const ORDER: readonly GridDensity[] = ['roomy', 'normal', 'compact'];
/** Tiles much wider than tall read badly (a long thin bar): more columns instead. */
const MAX_ASPECT = 2.4;
const COLUMNS = [1, 2, 4, 8, 16];

/** The density the slot count asks for before the screen has a say. */
export function densityForSlots(slots: number): GridDensity {
  return slots <= 16 ? 'roomy' : slots <= 32 ? 'normal' : 'compact';
}

function rowsOf(cells: readonly boolean[], columns: number): boolean[] {
  const rows: boolean[] = [];
  for (let i = 0; i < cells.length; i += columns) rows.push(cells.slice(i, i + columns).some(Boolean));
  return rows;
}

function attempt(input: GridLayoutInput, density: GridDensity, columns: number): GridLayout | null {
  const spec = DENSITIES[density];
  const tileWidth = (input.width - spec.gap * (columns - 1)) / columns;
  if (tileWidth < spec.minWidth) return null;
  const rows = input.sections.map((cells) => rowsOf(cells, columns));
  const full = rows.reduce((n, r) => n + r.filter(Boolean).length, 0);
  const free = rows.reduce((n, r) => n + r.filter((x) => !x).length, 0);
  const gaps = rows.reduce((n, r) => n + Math.max(0, r.length - 1), 0) * spec.gap + Math.max(0, rows.length - 1) * spec.sectionGap;
  const rowHeight = full === 0 ? spec.maxRow : Math.floor((input.height - gaps - free * spec.freeRow) / full);
  if (rowHeight < spec.minRow || tileWidth > MAX_ASPECT * Math.min(spec.maxRow, rowHeight)) return null;
  return {
    density,
    columns,
    rowHeight: Math.min(spec.maxRow, rowHeight),
    freeRowHeight: spec.freeRow,
    gap: spec.gap,
    sectionGap: spec.sectionGap,
    rows,
    fits: true,
  };
}

export function gridLayout(input: GridLayoutInput): GridLayout {
  const slots = input.sections.reduce((n, s) => n + s.length, 0);
  const candidates = COLUMNS;
  for (const density of ORDER.slice(ORDER.indexOf(densityForSlots(slots)))) {
    // Fewest columns first: the widest tiles that still fit.
    for (const columns of candidates) {
      const layout = attempt(input, density, columns);
      if (layout) return layout;
    }
  }
  // Nothing fits (256 slots, a small window): compact tiles, as many columns as their width allows, scrolling.
  const spec = DENSITIES.compact;
  const columns = [...candidates].reverse().find((c) => (input.width - spec.gap * (c - 1)) / c >= spec.minWidth) ?? 1;
  return {
    density: 'compact',
    columns,
    rowHeight: spec.minRow,
    freeRowHeight: spec.freeRow,
    gap: spec.gap,
    sectionGap: spec.sectionGap,
    rows: input.sections.map((cells) => rowsOf(cells, columns)),
    fits: false,
  };
}
