/** The rate is measured over this much of the recent past: steady on a link whose speed wobbles, quick to show a stall. */
const WINDOW_MS = 3_000;
/** Less than this measured is too little to tell a rate. */
const MIN_SPAN_MS = 1_000;
/** One sample kept per this long, whatever the number of updates. */
const SAMPLE_EVERY_MS = 250;

/**
 * Bytes per second of a growing count, over the last few seconds, and the
 * time left at that pace. Times are milliseconds on any one clock.
 */
export class TransferRate {
  private readonly samples: { at: number; bytes: number }[] = [];
  private latest = 0;

  record(bytes: number, at: number): void {
    this.latest = bytes;
    const last = this.samples.at(-1);
    if (!last || at - last.at >= SAMPLE_EVERY_MS) this.samples.push({ at, bytes });
    // keep one sample older than the window: the rate is measured from it
    while (this.samples.length > 1 && (this.samples[1]?.at ?? at) <= at - WINDOW_MS) this.samples.shift();
  }

  /** Null until a second has been measured; 0 when nothing moved for the whole window. */
  bytesPerSecond(now: number): number | null {
    let base = this.samples[0];
    for (const sample of this.samples) {
      if (sample.at > now - WINDOW_MS) break;
      base = sample;
    }
    if (!base || now - base.at < MIN_SPAN_MS) return null;
    return Math.round(((this.latest - base.bytes) * 1000) / (now - base.at));
  }

  /** Seconds until `totalBytes` at the current rate; null while the rate is unknown or nothing moves. */
  secondsLeft(totalBytes: number, now: number): number | null {
    const rate = this.bytesPerSecond(now);
    if (!rate || rate <= 0) return null;
    return Math.ceil(Math.max(0, totalBytes - this.latest) / rate);
  }
}
