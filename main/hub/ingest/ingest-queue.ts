/** Something waiting to be written, keyed by the station that sent it. */
export interface QueuedBatch {
  readonly stationHash: string;
}

/**
 * Batches that arrive together are written together: one transaction for a whole group of
 * stations, so hundreds of stations reporting every second cost a few dozen transactions a second.
 * A station is never in two groups at once, so its batches are written in the order they came.
 */
export class IngestQueue<T extends QueuedBatch> {
  private readonly pending: T[] = [];
  private readonly busy = new Set<string>();
  private inFlight = 0;
  private pumpScheduled = false;

  /**
   * @param maxGroups groups written at once (one on SQLite, a few on PostgreSQL)
   * @param writeGroup writes a group and settles every member; it never rejects
   */
  constructor(
    private readonly maxGroups: number,
    private readonly writeGroup: (group: T[]) => Promise<void>,
    private readonly maxGroupSize = 200,
  ) {}

  add(item: T): void {
    this.pending.push(item);
    this.pump();
  }

  private pump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      while (this.inFlight < this.maxGroups && this.pending.length > 0) {
        const group: T[] = [];
        const inGroup = new Set<string>();
        for (let i = 0; i < this.pending.length && group.length < this.maxGroupSize;) {
          const item = this.pending[i]!;
          if (this.busy.has(item.stationHash) || inGroup.has(item.stationHash)) {
            i += 1;
            continue;
          }
          inGroup.add(item.stationHash);
          group.push(item);
          this.pending.splice(i, 1);
        }
        if (group.length === 0) return;
        for (const h of inGroup) this.busy.add(h);
        this.inFlight += 1;
        void this.writeGroup(group).finally(() => {
          for (const h of inGroup) this.busy.delete(h);
          this.inFlight -= 1;
          if (this.pending.length > 0) this.pump();
        });
      }
    });
  }
}
