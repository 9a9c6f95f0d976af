import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { FrameSink } from '../connectors/index.js';
import type { Pipeline } from '../pipeline/index.js';

/** Upper bounds (seconds) of the frame-to-publish latency buckets: in-process work, so µs to ms. */
export const LATENCY_BUCKETS: readonly number[] = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
];

/**
 * A histogram in plain numbers: observing is a short scan and two additions, no allocation and no
 * label lookup, so it can run per trade. Metrics turn it into Prometheus buckets at scrape time.
 */
export class LatencyHistogram {
  /** Per bucket (not cumulative); the last slot counts values above every bound. */
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[] = LATENCY_BUCKETS) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(seconds: number): void {
    let i = 0;
    while (i < this.bounds.length && seconds > (this.bounds[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += seconds;
    this.count++;
  }
}

/** Per-source counters; plain numbers the metrics read at scrape time. */
export interface SourceStats {
  badFrames: Record<string, number>;
  duplicateFrames: number;
  /** Epoch ms (on the monotonic clock) of the last upstream frame of any kind; null before one. */
  lastMessageAt: number | null;
  /** Upstream frame receipt → trade handed to the broker, seconds (published trades only). */
  latency: LatencyHistogram;
  /** `connection.lost` announcements: open connections that dropped. */
  connectionsLost: number;
  /** Entries into `backoff`: every reconnect the connector scheduled. */
  backoffs: number;
  /** Seconds spent in each connector state, up to `stateSince` (add the current stretch yourself). */
  stateSeconds: Record<string, number>;
  state: string | null;
  /** performance.now() when `state` was entered. */
  stateSince: number;
  /** Set when the source is removed: its sink drops whatever its closing socket still delivers. */
  retired: boolean;
}

export function newSourceStats(): SourceStats {
  return {
    badFrames: {},
    duplicateFrames: 0,
    lastMessageAt: null,
    latency: new LatencyHistogram(),
    connectionsLost: 0,
    backoffs: 0,
    stateSeconds: {},
    state: null,
    stateSince: performance.now(),
    retired: false,
  };
}

/** Epoch ms on the monotonic clock: immune to wall-clock steps, comparable with `lastMessageAt`. */
export const monotonicNow = (): number => performance.timeOrigin + performance.now();

/** Accounts a connector state change (called from status changes, a few per second at most). */
export function recordState(stats: SourceStats, state: string, now = performance.now()): void {
  if (stats.state === state) return;
  if (stats.state !== null) {
    stats.stateSeconds[stats.state] =
      (stats.stateSeconds[stats.state] ?? 0) + (now - stats.stateSince) / 1000;
  }
  if (state === 'backoff') stats.backoffs++;
  stats.state = state;
  stats.stateSince = now;
}

/** Seconds per state including the stretch in the current state up to `now`. */
export function stateSecondsAt(stats: SourceStats, now = performance.now()): Record<string, number> {
  const out = { ...stats.stateSeconds };
  if (stats.state !== null) out[stats.state] = (out[stats.state] ?? 0) + (now - stats.stateSince) / 1000;
  return out;
}

const BAD_FRAME_LOG_INTERVAL_MS = 10_000;

/**
 * Builds the data-plane half of a transport's sink for one source: trades into the pipeline,
 * bad frames counted and logged with a sample (at most one line per reason every 10 s, so a
 * garbage flood cannot flood the log), duplicate frames counted, and per frame its receipt time
 * (for the last-message age and the frame-to-publish latency).
 */
export function createSourceSink(
  sourceId: string,
  pipeline: Pipeline,
  stats: SourceStats,
  logger: Logger,
): Omit<FrameSink, 'control'> & { received: () => void } {
  const log = logger.child({ source: sourceId });
  const lastLogged = new Map<string, number>();
  // performance.now() of the frame being parsed: trades are delivered synchronously inside parse().
  let frameAt = performance.now();
  return {
    received: () => {
      frameAt = performance.now();
      stats.lastMessageAt = performance.timeOrigin + frameAt;
    },
    trade: (trade) => {
      if (stats.retired) return;
      if (pipeline.ingest(trade)) stats.latency.observe((performance.now() - frameAt) / 1000);
    },
    bad: (reason, frame) => {
      stats.badFrames[reason] = (stats.badFrames[reason] ?? 0) + 1;
      const now = Date.now();
      if (now - (lastLogged.get(reason) ?? 0) < BAD_FRAME_LOG_INTERVAL_MS) return;
      lastLogged.set(reason, now);
      log.warn(
        { reason, sample: frame.slice(0, 300), count: stats.badFrames[reason] },
        'bad upstream frame skipped',
      );
    },
    duplicate: () => {
      stats.duplicateFrames++;
    },
  };
}
