/**
 * Uploads that run while the writer converts the next chunk: on S3, sending one data file takes
 * about as long as DuckDB takes to write the next, so overlapping them saves most of one of the
 * two. At most `limit` uploads run at once, since each holds a finished file on local disk. A
 * failure is reported by the next `add` or by `drain`, never lost.
 */
export class BackgroundUploads {
  private readonly running = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  /** `limit`: uploads in flight at most (≥ 1). */
  constructor(private readonly limit: number) {}

  /** Starts `upload`, first waiting while `limit` are running; throws an earlier upload's failure. */
  async add(upload: () => Promise<void>): Promise<void> {
    this.throwFailure();
    while (this.running.size >= Math.max(1, this.limit)) await Promise.race(this.running);
    this.throwFailure();
    const tracked: Promise<void> = upload()
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => this.running.delete(tracked));
    this.running.add(tracked);
  }

  /** Waits for every upload started; throws the first failure. */
  async drain(): Promise<void> {
    await this.settle();
    this.throwFailure();
  }

  /** Waits for every upload started, whatever its outcome (before cleaning up after an abort). */
  async settle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
  }

  private throwFailure(): void {
    if (this.failure) throw this.failure.error;
  }
}
