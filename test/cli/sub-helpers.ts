import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Connection } from '../../src/cli/sub-model.js';
import type { SubSink } from '../../src/cli/sub-session.js';
import type { Trade } from '../../src/domain/index.js';
import type { SourceStatus } from '../../src/runtime/index.js';

/** Things in arrival order, with waits for the one a test needs (event-driven, with a deadline). */
export class Recorder<T> {
  readonly items: T[] = [];
  private readonly waiters = new Set<() => void>();

  push(item: T): void {
    this.items.push(item);
    for (const w of [...this.waiters]) w();
  }

  /** Pass as `from` to wait only for later items. */
  mark(): number {
    return this.items.length;
  }

  waitFor(predicate: (item: T) => boolean, what: string, from = 0, timeoutMs = 10_000): Promise<T> {
    return this.waitForCount(predicate, 1, what, from, timeoutMs).then((found) => found[0] as T);
  }

  waitForCount(
    predicate: (item: T) => boolean,
    count: number,
    what: string,
    from = 0,
    timeoutMs = 10_000,
  ): Promise<T[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.items.slice(from).filter(predicate);
        if (found.length < count) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(found.slice(0, count));
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        const last = this.items.slice(-8).map((i) => (typeof i === 'string' ? i : JSON.stringify(i)));
        reject(
          new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last:\n  ${last.join('\n  ')}`),
        );
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }
}

export type SinkItem =
  | { kind: 'trade'; trade: Trade; history: boolean }
  | { kind: 'status'; source: string; status: SourceStatus | null }
  | { kind: 'event'; source: string; body: unknown }
  | { kind: 'connection'; connection: Connection }
  | { kind: 'notice'; text: string; level: string };

/** A session sink that records everything it is given. */
export function recordingSink(): { sink: SubSink; rec: Recorder<SinkItem> } {
  const rec = new Recorder<SinkItem>();
  const sink: SubSink = {
    trade: (trade, history) => rec.push({ kind: 'trade', trade, history }),
    status: (source, status) => rec.push({ kind: 'status', source, status }),
    event: (source, body) => rec.push({ kind: 'event', source, body }),
    connection: (connection) => rec.push({ kind: 'connection', connection }),
    notice: (text, level) => rec.push({ kind: 'notice', text, level }),
  };
  return { sink, rec };
}

export const isState =
  (state: Connection['state']) =>
  (i: SinkItem): boolean =>
    i.kind === 'connection' && i.connection.state === state;

/** Every line a stream writes, recorded. */
export function recordLines(stream: Readable): Recorder<string> {
  const rec = new Recorder<string>();
  createInterface({ input: stream }).on('line', (line) => rec.push(line));
  return rec;
}
