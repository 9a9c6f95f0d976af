/**
 * Counts the server's own publishes still inside Aedes (its callback not yet called), so the
 * upstream can be paused instead of letting mqemitter's queue grow without bound: that queue is
 * an array drained with `shift()`, so a long one costs more per message the longer it gets.
 *
 * Publishing never waits here (a trade is never held back, dropped or reordered); only the
 * readers that asked (`whenDrained`) are told to stop reading until the count falls back to
 * `lowWater`.
 */
export class PublishFlow {
  private outstanding = 0;
  private waiters: (() => void)[] = [];

  constructor(
    readonly highWater = 1024,
    readonly lowWater = highWater >> 1,
  ) {
    if (!(lowWater >= 0 && lowWater < highWater)) throw new RangeError('need 0 <= lowWater < highWater');
  }

  /** Publishes inside the broker right now. */
  get inFlight(): number {
    return this.outstanding;
  }

  /** True while at least `highWater` publishes are outstanding: readers should pause. */
  get saturated(): boolean {
    return this.outstanding >= this.highWater;
  }

  /** Call before handing a packet to Aedes; call `done` from its callback. */
  started(): void {
    this.outstanding++;
  }

  /**
   * Aedes calls its publish callback synchronously when nobody subscribes: waiters are released
   * on the next turn, so nothing that resumes reading ever runs inside that callback's stack.
   */
  readonly done = (): void => {
    this.outstanding--;
    if (this.waiters.length > 0 && this.outstanding <= this.lowWater) {
      const waiters = this.waiters;
      this.waiters = [];
      setImmediate(() => {
        for (const resume of waiters) resume();
      });
    }
  };

  /** Calls `resume` (on a later turn) once no more than `lowWater` publishes are outstanding. */
  whenDrained(resume: () => void): void {
    if (this.outstanding <= this.lowWater) setImmediate(resume);
    else this.waiters.push(resume);
  }
}
