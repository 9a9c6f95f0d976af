import type { Logger } from 'pino';
import type { FrameSink } from '../connectors/index.js';
import type { Pipeline } from '../pipeline/index.js';

/** Per-source counters of what the data plane refused. */
export interface SourceStats {
  badFrames: Record<string, number>;
  duplicateFrames: number;
}

const BAD_FRAME_LOG_INTERVAL_MS = 10_000;

/**
 * Builds the data-plane half of a transport's sink for one source: trades into the pipeline,
 * bad frames counted and logged with a sample (at most one line per reason every 10 s, so a
 * garbage flood cannot flood the log), duplicate frames counted.
 */
export function createSourceSink(
  sourceId: string,
  pipeline: Pipeline,
  stats: SourceStats,
  logger: Logger,
): Omit<FrameSink, 'control'> {
  const log = logger.child({ source: sourceId });
  const lastLogged = new Map<string, number>();
  return {
    trade: (trade) => {
      pipeline.ingest(trade);
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
