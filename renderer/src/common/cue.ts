/**
 * The sound cue when a device needs the technician: a short beep from Web Audio (no files),
 * throttled so 16 iPads asking for Trust at once make one sound, not sixteen.
 */
export type CueKind = 'waiting' | 'failed';

export class CuePlayer {
  private context: AudioContext | null = null;
  private lastAt = 0;
  private enabled = true;

  constructor(private readonly minIntervalMs = 2500) {}

  /** The technician's sound setting: off keeps every cue silent. */
  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
  }

  play(kind: CueKind, now = Date.now()): boolean {
    if (!this.enabled || now - this.lastAt < this.minIntervalMs) return false;
    this.lastAt = now;
    // Failed: two low tones; waiting: one higher tone.
    return this.tones(kind === 'failed' ? [440, 330] : [880]);
  }

  /**
   * The answer to a scan the technician made (a device packed, or refused): every scan gets its
   * own, never throttled, as each is a person's action. Accepted: a short high blip; refused: low.
   */
  acknowledge(accepted: boolean): boolean {
    if (!this.enabled) return false;
    return this.tones(accepted ? [1320] : [300, 300], 0.08);
  }

  private tones(frequencies: number[], length = 0.15): boolean {
    try {
      const AudioCtor = window.AudioContext;
      if (!AudioCtor) return false;
      this.context ??= new AudioCtor();
      const ctx = this.context;
      if (ctx.state === 'suspended') void ctx.resume();
      frequencies.forEach((frequency, i) => {
        const osc = ctx.createOscillator();
        const gain = ctx.createGain();
        const start = ctx.currentTime + i * (length + 0.03);
        osc.type = 'sine';
        osc.frequency.value = frequency;
        gain.gain.setValueAtTime(0.0001, start);
        gain.gain.exponentialRampToValueAtTime(0.25, start + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, start + length);
        osc.connect(gain).connect(ctx.destination);
        osc.start(start);
        osc.stop(start + length + 0.01);
      });
    } catch {
      // No audio device: the visual cue remains.
    }
    return true;
  }
}
