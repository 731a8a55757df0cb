import type { OnSent } from './types.js';

/** One upload in flight: `onSent` follows its body, `end` when it is over (arrived, skipped or failed). */
export interface TrackedUpload {
  onSent: OnSent;
  end(): void;
}

/**
 * The plan's plaintext bytes sent so far, moving while a large file or a
 * batch is on the wire rather than only when it ends: files the peer
 * acknowledged, plus for each upload in flight its share of the body the
 * connection took, counted in the plaintext it carries (the body also holds
 * the encryption's overhead and framing). It never goes back, so a file
 * skipped halfway leaves what it sent counted.
 */
export class UploadProgress {
  private acknowledged = 0;
  private readonly inFlight = new Map<symbol, number>();
  private highest = 0;

  constructor(private readonly onChange: (bytesDone: number) => void) {}

  get bytesDone(): number {
    return this.highest;
  }

  /** An upload carrying `plainBytes` of the plan starts. */
  track(plainBytes: number): TrackedUpload {
    const id = Symbol('upload');
    this.inFlight.set(id, 0);
    return {
      onSent: (sentBytes, totalBytes) => {
        if (!this.inFlight.has(id) || totalBytes <= 0) return;
        const sent = Math.floor((plainBytes * Math.min(sentBytes, totalBytes)) / totalBytes);
        if (sent <= (this.inFlight.get(id) ?? 0)) return;
        this.inFlight.set(id, sent);
        this.update();
      },
      end: () => {
        this.inFlight.delete(id);
      },
    };
  }

  /**
   * A file the peer acknowledged. End its upload first, so its bytes are not
   * counted twice; the caller reports the new `bytesDone` with the file count.
   */
  acknowledge(plainBytes: number): void {
    this.acknowledged += plainBytes;
    this.update(false);
  }

  private update(notify = true): void {
    let total = this.acknowledged;
    for (const sent of this.inFlight.values()) total += sent;
    if (total <= this.highest) return;
    this.highest = total;
    if (notify) this.onChange(total);
  }
}
