import type { ActorRefFrom, Subscription } from 'xstate';
import type { ConnectorContext, connectorMachine } from '../../machines/index.js';

export type ConnectorActor = ActorRefFrom<typeof connectorMachine>;

/** The retained `status/{source}` payload (CONTRACT §3). */
export interface SourceStatus {
  source: string;
  state: string;
  since: string;
  attempt: number;
  nextRetryAt: string | null;
  lastError: string | null;
  symbols: Record<string, string>;
}

/** `{session: 'subscribed'}` → `subscribed`: the innermost state is the one users name. */
export function leafState(value: unknown): string {
  let v = value;
  while (typeof v === 'object' && v !== null) {
    const first = Object.values(v)[0];
    if (first === undefined) break;
    v = first;
  }
  return String(v);
}

export interface StatusChange {
  status: SourceStatus;
  previous: SourceStatus | null;
}

/**
 * Follows one connector actor and reports a fresh status whenever something a status reader
 * sees changes (state, attempt, error, per-symbol states), not on every internal event.
 */
export function watchConnector(
  sourceId: string,
  actor: ConnectorActor,
  onChange: (change: StatusChange) => void,
  now: () => Date = () => new Date(),
): Subscription {
  let previous: SourceStatus | null = null;
  let previousKey = '';
  const emit = (state: string, context: ConnectorContext) => {
    const since = previous && previous.state === state ? previous.since : now().toISOString();
    const status: SourceStatus = {
      source: sourceId,
      state,
      since,
      attempt: context.attempt,
      nextRetryAt:
        state === 'backoff' && context.nextRetryAt !== null
          ? new Date(context.nextRetryAt).toISOString()
          : null,
      lastError: context.lastError,
      symbols: { ...context.symbols },
    };
    const key = JSON.stringify({ ...status, since: '' });
    if (key === previousKey) return;
    previousKey = key;
    const change = { status, previous };
    previous = status;
    onChange(change);
  };
  const snapshot = actor.getSnapshot();
  emit(leafState(snapshot.value), snapshot.context);
  return actor.subscribe({
    next: (s) => emit(leafState(s.value), s.context),
    error: () => {},
  });
}
