/**
 * Slot labels in the physical order of the hubs (UX.md): "A1".."A16" on the first hub, "B1".. on the
 * next. Past "Z" the hub letters go on as spreadsheet columns do: "AA", "AB", .. "AZ", "BA", .. "ZZ",
 * "AAA", so every hub has exactly one name and names sort in hub order by length, then alphabet.
 */
export const DEFAULT_SLOTS_PER_HUB = 16;

const SLOT_LABEL = /^([A-Z]+)(\d+)$/;

/** The letters of the hub at `hubIndex` (0-based): 0 -> "A", 25 -> "Z", 26 -> "AA". */
export function hubLetters(hubIndex: number): string {
  let letters = '';
  for (let n = hubIndex + 1; n > 0; n = Math.floor((n - 1) / 26)) letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  return letters;
}

/** The 0-based hub index of hub letters: "A" -> 0, "AA" -> 26. */
export function hubIndexOf(letters: string): number {
  let n = 0;
  for (const ch of letters) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n - 1;
}

export interface SlotLabelParts {
  /** "A", "AA". */
  hub: string;
  hubIndex: number;
  /** The slot's number on its hub, from 1. */
  number: number;
}

/** "B3" -> hub B, number 3; null for anything else (a label such as "Tisch 2" is valid, just not in the grid). */
export function parseSlotLabel(label: string | null | undefined): SlotLabelParts | null {
  const m = label ? SLOT_LABEL.exec(label) : null;
  return m ? { hub: m[1]!, hubIndex: hubIndexOf(m[1]!), number: Number(m[2]) } : null;
}

/** The label of grid position `position` (0-based): 0 -> "A1", 16 -> "B1" on 16-port hubs. */
export function formatSlotLabel(position: number, perHub = DEFAULT_SLOTS_PER_HUB): string {
  return `${hubLetters(Math.floor(position / perHub))}${(position % perHub) + 1}`;
}

/** The grid position of a label ("b3" reads as "B3": 16 + 2 on 16-port hubs); null when it names no slot of the grid. */
export function slotPosition(label: string, perHub = DEFAULT_SLOTS_PER_HUB): number | null {
  const parts = parseSlotLabel(label.toUpperCase());
  if (!parts || parts.number < 1 || parts.number > perHub) return null;
  return parts.hubIndex * perHub + parts.number - 1;
}

/** Slot labels in the physical order of the hubs ("A2" before "A10" before "B1"); other labels after them, alphabetically. */
export function compareSlotLabels(a: string | null, b: string | null): number {
  const pa = parseSlotLabel(a);
  const pb = parseSlotLabel(b);
  if (pa && pb) return pa.hubIndex - pb.hubIndex || pa.number - pb.number;
  if (pa) return -1;
  if (pb) return 1;
  return (a ?? '\uffff').localeCompare(b ?? '\uffff');
}
