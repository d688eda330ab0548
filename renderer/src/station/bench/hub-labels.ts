/** Slot labels of one hub in port order: ("A", 4) -> A1, A2, A3, A4. */
export function hubLabels(hub: string, count: number, first = 1): string[] {
  const letter = hub.trim().toUpperCase();
  if (!/^[A-Z]{1,2}$/.test(letter) || !Number.isInteger(count) || count < 1 || count > 64 || !Number.isInteger(first) || first < 1) return [];
  return Array.from({ length: count }, (_, i) => `${letter}${first + i}`);
}

/** "A1–A16" for a run of labels, or the labels themselves when there are two or fewer. */
export function labelRange(labels: readonly string[]): string {
  if (labels.length <= 2) return labels.join(', ');
  return `${labels[0]}–${labels.at(-1)}`;
}

export function isSimulatorPort(portPath: string): boolean {
  return /^sim-\d+$/.test(portPath);
}
