import { formatSlotLabel } from '../../shared/slot-label.js';

/** The simulated hub's ports sim-1..sim-N mapped to A1.. in order. */
export function defaultSimSlots(count: number): { label: string; portPath: string; position: number }[] {
  return Array.from({ length: count }, (_, i) => ({ label: formatSlotLabel(i), portPath: `sim-${i + 1}`, position: i }));
}
