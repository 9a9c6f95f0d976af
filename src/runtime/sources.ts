import type { SupervisedSource } from '../../machines/index.js';
import type { SourceConfig } from './config/index.js';

/** The config's source object in the shape the supervisor and connectors take. */
export function toSupervisedSource(source: SourceConfig): SupervisedSource {
  return {
    sourceId: source.id,
    kind: source.kind,
    url: source.url,
    token: source.token,
    staleAfterMs: source.staleAfterMs,
    ackTimeoutMs: source.ackTimeoutMs,
    symbols: [...source.symbols],
    venueSymbols: { ...source.venueSymbols },
    backoff: { ...source.backoff },
    alwaysOn: source.alwaysOn,
    lingerMs: source.lingerMs,
  };
}
