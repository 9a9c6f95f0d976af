import type { SourceState } from './context.js';

export type Readiness =
  | { ready: true; sources: Record<string, string> }
  | { ready: false; reasons: Record<string, string> };

/** A source is wanted when any of its symbols is not `idle` (someone holds it, or `alwaysOn`). */
export const hasDemand = (status: SourceState): boolean =>
  Object.values(status.symbols).some((s) => s !== 'idle');

/**
 * Ready when the broker listens and every source with demand is `subscribed` (CONTRACT §5).
 * Readiness follows the connector's state, never trade arrival: a quiet market is not a dead
 * feed (the connector's own staleness watchdog turns a dead one into `backoff`). A source nobody
 * wants does not hold readiness back, whatever its state.
 */
export function readiness(
  brokerListening: boolean,
  statuses: Readonly<Record<string, SourceState>>,
): Readiness {
  const reasons: Record<string, string> = {};
  if (!brokerListening) reasons.broker = 'MQTT broker is not listening';
  const sources: Record<string, string> = {};
  for (const [id, status] of Object.entries(statuses)) {
    sources[id] = status.state;
    if (status.state === 'subscribed' || !hasDemand(status)) continue;
    reasons[id] = `state ${status.state}${status.lastError ? `: ${status.lastError}` : ''}`;
  }
  return Object.keys(reasons).length === 0 ? { ready: true, sources } : { ready: false, reasons };
}
