/**
 * The bytes of rows the importer has handed to the client and that are not settled yet (queued or in
 * flight), bounded: the queue's own bound counts rows, and 8,000 rows of 400 KB are 3.2 GB. A row
 * waits here until the rows before it leave room; one row larger than the whole budget still goes
 * (alone), so nothing can wait forever.
 */
export class ByteBudget {
  readonly limit: number;
  #used = 0;
  #waiter: (() => void) | undefined;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Bytes held now. */
  get used(): number {
    return this.#used;
  }

  /** Counts `bytes` and returns `true` if they fit now (always while nothing is held); else counts nothing. */
  tryReserve(bytes: number): boolean {
    if (this.#used > 0 && this.#used + bytes > this.limit) return false;
    this.#used += bytes;
    return true;
  }

  /**
   * Resolves `true` once `bytes` more fit (at once while nothing is held) and counts them, or `false`
   * when `signal` aborts first (nothing counted). One caller at a time (the import's read loop).
   */
  async reserve(bytes: number, signal: AbortSignal): Promise<boolean> {
    while (this.#used > 0 && this.#used + bytes > this.limit) {
      if (signal.aborted) return false;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          signal.removeEventListener('abort', done);
          this.#waiter = undefined;
          resolve();
        };
        this.#waiter = done;
        signal.addEventListener('abort', done, { once: true });
      });
    }
    if (signal.aborted) return false;
    this.#used += bytes;
    return true;
  }

  /** Rows settled (acknowledged or failed): their bytes leave room. */
  release(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes);
    this.#waiter?.();
  }
}
