/** Slot labels in the physical order of the hubs: A1..A16, B1..B16, ... (UX.md). */
export function slotLabel(index: number, perHub = 16): string {
  const hub = Math.floor(index / perHub);
  const letters = hub < 26 ? String.fromCharCode(65 + hub) : `${String.fromCharCode(64 + Math.floor(hub / 26))}${String.fromCharCode(65 + (hub % 26))}`;
  return `${letters}${(index % perHub) + 1}`;
}

/** The simulated hub's ports sim-1..sim-N mapped to A1.. in order. */
export function defaultSimSlots(count: number): { label: string; portPath: string; position: number }[] {
  return Array.from({ length: count }, (_, i) => ({ label: slotLabel(i), portPath: `sim-${i + 1}`, position: i }));
}
