/**
 * One statement per table at a time (two REINDEX CONCURRENTLY on one table would wait
 * on each other's lock): a FIFO queue per key, so actions on a table run in plan order
 * (a leftover's DROP before the rebuild) while other tables proceed in parallel.
 */
export class PerKeyQueue {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release: () => void = () => {};
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
