import { and, assign, emit, enqueueActions, fromCallback, not, setup } from 'xstate';
import { type BackoffPolicy, backoffDelay } from './backoff.js';
import type { TransportCommand, TransportEvent, TransportInput } from './transport.js';

/**
 * Per-symbol subscription state on the upstream connection.
 * idle: nobody wants it · pending: wanted, waiting for a connection · subscribing: request sent ·
 * subscribed: acknowledged · unsubscribing: release sent · rejected: the venue refused it.
 */
export type SymbolState = 'idle' | 'pending' | 'subscribing' | 'subscribed' | 'unsubscribing' | 'rejected';

export interface ConnectorInput {
  source: TransportInput & { symbols: readonly string[]; backoff: BackoffPolicy };
  /** Symbols wanted at start (demand); more arrive as DEMAND events. */
  wanted?: readonly string[];
  /** How long `subscribed` must last before the attempt counter is reset. */
  stableAfterMs?: number;
}

export interface ConnectorContext {
  source: ConnectorInput['source'];
  wanted: string[];
  symbols: Record<string, SymbolState>;
  /** Consecutive failed connection attempts; 0 once a connection has been stable. */
  attempt: number;
  /** Connections that reached the open state; the second and later ones resubscribe. */
  sessions: number;
  lastError: string | null;
  retryDelayMs: number;
  nextRetryAt: number | null;
  stableAfterMs: number;
}

export type ConnectorEvent =
  | TransportEvent
  | { type: 'DEMAND'; symbols: readonly string[] }
  | { type: 'RETRY' }
  | { type: 'STOP' };

/**
 * What a connector announces to whoever listens (`actor.on(...)`); the runtime publishes them
 * as JSON-RPC notifications on `events/{source}` (CONTRACT §3).
 */
export type ConnectorEmitted =
  | { type: 'connection.lost'; reason: string }
  | { type: 'connection.restored' }
  | { type: 'gap.detected'; expected: number; received: number };

/** Wanted symbols that need a subscribe request, and held ones that need a release. */
function diff(context: ConnectorContext): { subscribe: string[]; unsubscribe: string[] } {
  const subscribe: string[] = [];
  const unsubscribe: string[] = [];
  for (const [symbol, state] of Object.entries(context.symbols)) {
    const wanted = context.wanted.includes(symbol);
    if (wanted && (state === 'idle' || state === 'pending' || state === 'unsubscribing'))
      subscribe.push(symbol);
    if (!wanted && (state === 'subscribed' || state === 'subscribing')) unsubscribe.push(symbol);
  }
  return { subscribe, unsubscribe };
}

/** How long a subscribe request may go unanswered when the source's config does not say. */
export const DEFAULT_ACK_TIMEOUT_MS = 10_000;

function withStates(
  symbols: Record<string, SymbolState>,
  names: readonly string[],
  state: SymbolState,
): Record<string, SymbolState> {
  const next = { ...symbols };
  for (const n of names) if (n in next) next[n] = state;
  return next;
}

/**
 * What `subscribing` and `resubscribing` share while subscribe requests are out: every answer to
 * one (ack or rejection), and every new demand (whose requests go out on entry), re-enters the
 * state, which restarts its `ackTimeout`; so a venue that keeps answering keeps the connection, one
 * that leaves a request unanswered loses it. A release's answer says nothing about the subscribes
 * (it is handled by `session`); a connection-wide rejection falls through to `session` too.
 */
function awaitingAnswers<S extends 'subscribing' | 'resubscribing'>(self: S) {
  const again = { target: self, reenter: true, actions: 'applyControl' } as const;
  return {
    after: {
      ackTimeout: [
        {
          guard: 'attemptsExhausted',
          target: '#connector.failed',
          actions: ['recordAckTimeout', 'announceLost'],
        },
        { target: '#connector.backoff', actions: ['recordAckTimeout', 'announceLost'] },
      ],
    },
    on: {
      DEMAND: { target: self, reenter: true, actions: 'setDemand' },
      'UPSTREAM.SUBSCRIBED': again,
      // A rejection of one symbol answers its subscribe request (none is outstanding elsewhere).
      'UPSTREAM.REJECTED': { ...again, guard: not('rejectsConnection') },
    },
  } as const;
}

export const connectorMachine = setup({
  types: {
    input: {} as ConnectorInput,
    context: {} as ConnectorContext,
    events: {} as ConnectorEvent,
    emitted: {} as ConnectorEmitted,
  },
  actors: {
    // Placeholder: the runtime provides the real WebSocket transport with `.provide()`.
    transport: fromCallback<TransportCommand, TransportInput, TransportEvent>(() => () => {}),
  },
  delays: {
    backoff: ({ context }) => context.retryDelayMs,
    stablePeriod: ({ context }) => context.stableAfterMs,
    ackTimeout: ({ context }) => context.source.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS,
  },
  guards: {
    hasConnectedBefore: ({ context }) => context.sessions > 0,
    attemptsExhausted: ({ context }) =>
      context.source.backoff.maxAttempts !== undefined &&
      context.attempt >= context.source.backoff.maxAttempts,
    allSettled: ({ context }) => !Object.values(context.symbols).includes('subscribing'),
    /**
     * A rejection that names no symbol refuses the whole connection (Blockchain.com's "Connection
     * throttling enabled, your messages will be ignored."): no pending request will be answered.
     */
    rejectsConnection: ({ event }) => event.type === 'UPSTREAM.REJECTED' && event.symbol === null,
    demandAddsSymbols: ({ context, event }) =>
      event.type === 'DEMAND' &&
      event.symbols.some((s) => !context.wanted.includes(s) && s in context.symbols),
  },
  actions: {
    setDemand: assign(({ context, event }) => {
      if (event.type !== 'DEMAND') return {};
      const wanted = event.symbols.filter((s) => s in context.symbols);
      return { wanted };
    }),
    /** Offline: only bookkeeping, requests go out once connected (rejected ones are retried then). */
    markPending: assign(({ context }) => {
      const symbols: Record<string, SymbolState> = {};
      for (const s of Object.keys(context.symbols))
        symbols[s] = context.wanted.includes(s) ? 'pending' : 'idle';
      return { symbols };
    }),
    /** Online: send what the difference between demand and upstream state asks for. */
    syncSubscriptions: enqueueActions(({ context, enqueue }) => {
      const { subscribe, unsubscribe } = diff(context);
      if (subscribe.length === 0 && unsubscribe.length === 0) return;
      let symbols = withStates(context.symbols, subscribe, 'subscribing');
      symbols = withStates(symbols, unsubscribe, 'unsubscribing');
      enqueue.assign({ symbols });
      if (subscribe.length > 0) enqueue.sendTo('transport', { type: 'SUBSCRIBE', symbols: subscribe });
      if (unsubscribe.length > 0) enqueue.sendTo('transport', { type: 'UNSUBSCRIBE', symbols: unsubscribe });
    }),
    applyControl: assign(({ context, event }) => {
      switch (event.type) {
        case 'UPSTREAM.SUBSCRIBED':
          return context.symbols[event.symbol] === 'subscribing'
            ? { symbols: withStates(context.symbols, [event.symbol], 'subscribed') }
            : {};
        case 'UPSTREAM.UNSUBSCRIBED':
          return context.symbols[event.symbol] === 'unsubscribing'
            ? { symbols: withStates(context.symbols, [event.symbol], 'idle') }
            : {};
        case 'UPSTREAM.REJECTED':
          return event.symbol !== null && event.symbol in context.symbols
            ? { symbols: withStates(context.symbols, [event.symbol], 'rejected'), lastError: event.text }
            : { lastError: event.text };
        default:
          return {};
      }
    }),
    recordAckTimeout: assign({
      lastError: ({ context }) =>
        `no answer to subscribe within ${context.source.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS} ms`,
    }),
    countSession: assign({ sessions: ({ context }) => context.sessions + 1 }),
    recordClose: assign({
      lastError: ({ event }) => (event.type === 'TRANSPORT.CLOSED' ? event.reason : 'transport failed'),
    }),
    recordGap: assign({
      lastError: ({ event }) =>
        event.type === 'UPSTREAM.GAP'
          ? `sequence gap: expected ${event.expected}, received ${event.received}`
          : null,
    }),
    announceLost: emit(({ context, event }) => ({
      type: 'connection.lost' as const,
      reason: event.type === 'TRANSPORT.CLOSED' ? event.reason : (context.lastError ?? 'connection lost'),
    })),
    announceRestored: emit({ type: 'connection.restored' as const }),
    announceGap: emit(({ event }) => ({
      type: 'gap.detected' as const,
      expected: event.type === 'UPSTREAM.GAP' ? event.expected : -1,
      received: event.type === 'UPSTREAM.GAP' ? event.received : -1,
    })),
    recordError: assign({
      lastError: ({ event }) =>
        'error' in event && event.error instanceof Error ? event.error.message : 'transport failed',
    }),
    scheduleRetry: assign(({ context }) => {
      const attempt = context.attempt + 1;
      const retryDelayMs = backoffDelay(context.source.backoff, attempt, Math.random());
      return { attempt, retryDelayMs, nextRetryAt: Date.now() + retryDelayMs };
    }),
    clearRetry: assign({ nextRetryAt: null }),
    resetAttempts: assign({ attempt: 0 }),
  },
}).createMachine({
  id: 'connector',
  description: 'One upstream source: keeps a connection open and its demanded symbols subscribed.',
  context: ({ input }) => {
    const symbols: Record<string, SymbolState> = {};
    for (const s of input.source.symbols) symbols[s] = 'idle';
    const wanted = (input.wanted ?? []).filter((s) => s in symbols);
    for (const s of wanted) symbols[s] = 'pending';
    return {
      source: input.source,
      wanted,
      symbols,
      attempt: 0,
      sessions: 0,
      lastError: null,
      retryDelayMs: 0,
      nextRetryAt: null,
      stableAfterMs: input.stableAfterMs ?? 10_000,
    };
  },
  initial: 'session',
  on: {
    STOP: { target: '.stopped' },
  },
  states: {
    session: {
      description: 'An upstream WebSocket is open or opening. Leaving this state closes it.',
      entry: 'clearRetry',
      invoke: {
        id: 'transport',
        src: 'transport',
        input: ({ context }) => ({
          sourceId: context.source.sourceId,
          kind: context.source.kind,
          url: context.source.url,
          token: context.source.token,
          staleAfterMs: context.source.staleAfterMs,
          symbols: context.source.symbols,
          venueSymbols: context.source.venueSymbols,
        }),
        onError: [
          { guard: 'attemptsExhausted', target: 'failed', actions: 'recordError' },
          { target: 'backoff', actions: 'recordError' },
        ],
      },
      on: {
        // An open connection lost: announced. (A connection that never opened is handled in `connecting`.)
        'TRANSPORT.CLOSED': [
          { guard: 'attemptsExhausted', target: 'failed', actions: ['recordClose', 'announceLost'] },
          { target: 'backoff', actions: ['recordClose', 'announceLost'] },
        ],
        // The venue's advice on a sequence gap: the stream can't be trusted, reconnect.
        'UPSTREAM.GAP': [
          {
            guard: 'attemptsExhausted',
            target: 'failed',
            actions: ['recordGap', 'announceGap', 'announceLost'],
          },
          { target: 'backoff', actions: ['recordGap', 'announceGap', 'announceLost'] },
        ],
        'UPSTREAM.SUBSCRIBED': { actions: 'applyControl' },
        'UPSTREAM.UNSUBSCRIBED': { actions: 'applyControl' },
        // The venue refused the connection itself and will ignore what it is sent: as good as lost.
        // (A symbol's rejection answers its subscribe: `subscribing`/`resubscribing` take it; in
        // `connecting` or `subscribed` no subscribe is outstanding and it is ignored.)
        'UPSTREAM.REJECTED': [
          {
            guard: and(['rejectsConnection', 'attemptsExhausted']),
            target: 'failed',
            actions: ['applyControl', 'announceLost'],
          },
          { guard: 'rejectsConnection', target: 'backoff', actions: ['applyControl', 'announceLost'] },
        ],
      },
      initial: 'connecting',
      states: {
        connecting: {
          description: 'Opening the WebSocket to the venue.',
          on: {
            'TRANSPORT.OPEN': [
              { guard: 'hasConnectedBefore', target: 'resubscribing', actions: 'countSession' },
              { target: 'subscribing', actions: 'countSession' },
            ],
            'TRANSPORT.CLOSED': [
              { guard: 'attemptsExhausted', target: '#connector.failed', actions: 'recordClose' },
              { target: '#connector.backoff', actions: 'recordClose' },
            ],
            DEMAND: { actions: ['setDemand', 'markPending'] },
          },
        },
        subscribing: {
          description:
            'Connected. Subscribe requests for the demanded symbols await their acks; a venue that answers ' +
            'nothing for ackTimeoutMs (counted again from each answer or new demand) has lost the connection.',
          entry: 'syncSubscriptions',
          always: { guard: 'allSettled', target: 'subscribed' },
          ...awaitingAnswers('subscribing'),
        },
        resubscribing: {
          description:
            'Reconnected. Restoring exactly the symbols with demand before trades flow again; ' +
            'unanswered for ackTimeoutMs, the connection is given up as in subscribing.',
          entry: 'syncSubscriptions',
          always: { guard: 'allSettled', target: 'subscribed', actions: 'announceRestored' },
          ...awaitingAnswers('resubscribing'),
        },
        subscribed: {
          description: 'Every demanded symbol is acknowledged (or rejected). Trades flow.',
          after: { stablePeriod: { actions: 'resetAttempts' } },
          on: {
            DEMAND: [
              { guard: 'demandAddsSymbols', target: 'subscribing', actions: 'setDemand' },
              { actions: ['setDemand', 'syncSubscriptions'] },
            ],
          },
        },
      },
    },
    backoff: {
      description:
        'Connection lost, refused or rejected by the venue. Waiting the backoff delay before reconnecting.',
      entry: ['markPending', 'scheduleRetry'],
      after: { backoff: { target: 'session' } },
      on: { DEMAND: { actions: ['setDemand', 'markPending'] } },
    },
    failed: {
      description: 'Gave up after backoff.maxAttempts consecutive failures. RETRY starts over.',
      entry: ['markPending', 'clearRetry'],
      on: {
        RETRY: { target: 'session', actions: 'resetAttempts' },
        DEMAND: { actions: ['setDemand', 'markPending'] },
      },
    },
    stopped: {
      description: 'Stopped on purpose (source removed or server shutting down). Upstream released.',
      type: 'final',
    },
  },
});
