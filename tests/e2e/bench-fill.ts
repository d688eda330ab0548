import { expect, tile, type Station } from './station-fixture.js';
import type { Page } from '@playwright/test';

/** The bench sizes of issue 13: slot counts on a 1080p screen, and a laptop's 1366×768. */
export const BENCH_SIZES = [
  { width: 1920, height: 1080, slots: 24 },
  { width: 1920, height: 1080, slots: 32 },
  { width: 1920, height: 1080, slots: 64 },
  { width: 1366, height: 768, slots: 24 },
  { width: 1366, height: 768, slots: 32 },
] as const;

/**
 * Fills `slots` slots with simulated devices in every state a shift sees: failed ones (their long
 * reason and two buttons), manual checks waiting for the technician, and the rest running or done.
 * Answers the serials of the failed devices once they failed.
 */
export async function fillBench(page: Page, station: Station, slots: number): Promise<{ failed: string[]; all: string[] }> {
  const first = await station.plug(2);
  const failed = await station.plug(2, { failAt: 'app-pages' });
  const manual = await station.plug(2, { model: 'Notebook 14 (Schule)' });
  const rest = await station.plug(slots - 6);
  const all = [...first, ...failed, ...manual, ...rest];
  await expect(page.locator('.tile[data-serial]')).toHaveCount(slots);
  for (const s of failed) await expect(tile(page, s)).toHaveAttribute('data-state', 'failed', { timeout: 45_000 });
  for (const s of manual) await expect(tile(page, s)).toHaveAttribute('data-state', 'waiting', { timeout: 20_000 });
  return { failed, all };
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}
