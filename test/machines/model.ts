import {
  type AnyStateMachine,
  type AnyStateNode,
  type AnyTransitionDefinition,
  createActor,
  type InspectionEvent,
  SimulatedClock,
  type SnapshotFrom,
} from 'xstate';
import { getAdjacencyMap, getShortestPaths } from 'xstate/graph';
import { type ConnectorEvent, type ConnectorInput, connectorMachine } from '../../machines/index.js';

/**
 * The model of the connector chart used to generate test paths: the machine itself, an input
 * small enough to explore exhaustively, and for each state only the events the real world can
 * produce there (acks come back in request order, a rejection answers the oldest request, ...).
 * What the real world can produce depends on the venue's dialect, so the model is per dialect.
 */
export type ConnectorSnapshot = SnapshotFrom<typeof connectorMachine>;

/** The dialects the model-based tests run against (a `kind` of source, a face of the simulator). */
export const DIALECTS = ['blockchain', 'coinbase'] as const;
export type Dialect = (typeof DIALECTS)[number];

export const SYMBOLS = ['BTC-USD', 'ETH-USD'] as const;
export const [A, B] = SYMBOLS;

export function modelInput(dialect: Dialect): ConnectorInput {
  return {
    source: {
      sourceId: 'model',
      kind: dialect,
      url: 'ws://127.0.0.1:1/ws',
      token: '',
      staleAfterMs: 400,
      ackTimeoutMs: 300,
      symbols: [...SYMBOLS],
      backoff: { initialDelayMs: 40, maxDelayMs: 40, multiplier: 1, jitter: 0, maxAttempts: 2 },
    },
    wanted: [A],
    stableAfterMs: 300,
  };
}

export const AFTER_BACKOFF = 'xstate.after.backoff.connector.backoff';
export const AFTER_STABLE = 'xstate.after.stablePeriod.connector.session.subscribed';
export const AFTER_ACK = {
  subscribing: 'xstate.after.ackTimeout.connector.session.subscribing',
  resubscribing: 'xstate.after.ackTimeout.connector.session.resubscribing',
} as const;
type AfterAck = (typeof AFTER_ACK)[keyof typeof AFTER_ACK];
export const isAfterAck = (type: string): type is AfterAck => Object.values<string>(AFTER_ACK).includes(type);
const TRANSPORT_ERROR = 'xstate.error.actor.transport';

/** A path step's event: the machine's events plus its timers. */
export type ModelEvent =
  | ConnectorEvent
  | { type: typeof AFTER_BACKOFF }
  | { type: typeof AFTER_STABLE }
  | { type: typeof AFTER_ACK.subscribing }
  | { type: typeof AFTER_ACK.resubscribing };

export const leaf = (s: ConnectorSnapshot): string =>
  typeof s.value === 'string' ? s.value : (Object.values(s.value)[0] as string);

/** What a test compares between the model and the real connector. */
export function serialize(s: ConnectorSnapshot): string {
  const max = s.context.source.backoff.maxAttempts ?? Number.POSITIVE_INFINITY;
  return JSON.stringify({
    state: leaf(s),
    symbols: s.context.symbols,
    attempt: Math.min(s.context.attempt, max),
    resumed: s.context.sessions > 0,
  });
}

const firstIn = (s: ConnectorSnapshot, state: string) =>
  SYMBOLS.find((sym) => s.context.symbols[sym] === state);

/**
 * The events the outside world can produce in state `s`, for a venue speaking `dialect`.
 *
 * Coinbase differs in two ways. A gap is a trade lost on the way, which its parser (gaps from
 * heartbeats) only sees once it has had a trade of a subscribed product: so only in `subscribed`
 * with a symbol subscribed, and none being released (a loss landing on the product released would
 * never show: its baseline goes with the release). And an `error` answers a whole request, naming
 * no request: the parser rejects the one product its text names, and the other products of that
 * request would never be answered; so a rejection is only modelled for a symbol alone in its request.
 * A connection-wide rejection (no symbol: the venue throttles the connection) can answer any
 * subscribe request, in either dialect, while one is pending; and a venue can leave it unanswered,
 * so that the ack timeout fires.
 */
export function possibleEvents(dialect: Dialect): (s: ConnectorSnapshot) => ModelEvent[] {
  return (s) => {
    const demands: ModelEvent[] = [
      { type: 'DEMAND', symbols: [A] },
      { type: 'DEMAND', symbols: [A, B] },
      { type: 'DEMAND', symbols: [] },
    ];
    const stop: ModelEvent = { type: 'STOP' };
    const closed: ModelEvent = { type: 'TRANSPORT.CLOSED', reason: 'model' };
    const gap: ModelEvent = { type: 'UPSTREAM.GAP', expected: 0, received: 0 };
    const state = leaf(s);
    switch (state) {
      case 'connecting':
        return [{ type: 'TRANSPORT.OPEN' }, closed, ...demands, stop];
      case 'subscribing':
      case 'resubscribing':
      case 'subscribed': {
        const subscribing = firstIn(s, 'subscribing');
        const unsubscribing = firstIn(s, 'unsubscribing');
        const gapPossible =
          dialect === 'blockchain' ||
          (state === 'subscribed' && firstIn(s, 'subscribed') !== undefined && !unsubscribing);
        const out: ModelEvent[] = [closed, ...(gapPossible ? [gap] : []), ...demands, stop];
        // The venue answers requests in order; with both kinds in flight the order is unknown,
        // so the model only lets answers arrive when one kind is pending.
        if (subscribing && !unsubscribing) {
          out.push({ type: 'UPSTREAM.SUBSCRIBED', symbol: subscribing });
          // Alone in `subscribing` with none released: alone in its request, whose other symbols
          // would still await its one answer (subscribing, or unsubscribing if released since).
          const alone = SYMBOLS.filter((sym) => s.context.symbols[sym] === 'subscribing').length === 1;
          if (dialect === 'blockchain' || alone)
            out.push({ type: 'UPSTREAM.REJECTED', symbol: subscribing, text: 'model' });
          // The venue throttles the connection: it answers the oldest pending request with a
          // rejection naming no symbol (both dialects), and ignores the rest.
          if (state !== 'subscribed') out.push({ type: 'UPSTREAM.REJECTED', symbol: null, text: 'model' });
        }
        if (unsubscribing && !subscribing) out.push({ type: 'UPSTREAM.UNSUBSCRIBED', symbol: unsubscribing });
        // The venue leaves the subscribe requests unanswered (muted): the ack timeout fires. Only
        // with no release pending, whose answer would come and restart the timer.
        if (state !== 'subscribed' && subscribing && !unsubscribing) out.push({ type: AFTER_ACK[state] });
        // Answers arrive within milliseconds; a timer of hundreds only fires once none is pending.
        if (state === 'subscribed' && !unsubscribing) out.push({ type: AFTER_STABLE });
        return out;
      }
      case 'backoff':
        return [{ type: AFTER_BACKOFF }, ...demands, stop];
      case 'failed':
        return [{ type: 'RETRY' }, ...demands, stop];
      default:
        return [];
    }
  };
}

const ANSWERS = new Set(['UPSTREAM.SUBSCRIBED', 'UPSTREAM.UNSUBSCRIBED', 'UPSTREAM.REJECTED']);
const pending = (s: ConnectorSnapshot) =>
  Object.values(s.context.symbols).some((st) => st === 'subscribing' || st === 'unsubscribing');

/**
 * The venue answers a batch of requests in one go, and one socket read can carry them all: once
 * an answer arrived with more pending, nothing the test does can come between them. Paths that
 * need it to cannot be run for real, so they are not generated.
 */
export function realizable(steps: ReadonlyArray<{ event: ModelEvent; state: ConnectorSnapshot }>): boolean {
  return steps.every((step, i) => {
    const next = steps[i + 1];
    return !next || !ANSWERS.has(step.event.type) || !pending(step.state) || ANSWERS.has(next.event.type);
  });
}

export interface ModelPath {
  steps: Array<{ event: ModelEvent; state: ConnectorSnapshot }>;
  /** Keys of the chart transitions the path takes. */
  covers: Set<string>;
}

/** Every transition of the chart, by a key stable across `.provide()` copies of the machine. */
export function chartTransitions(): Map<string, AnyTransitionDefinition> {
  const all = new Map<string, AnyTransitionDefinition>();
  const visit = (node: AnyStateNode) => {
    for (const list of node.transitions.values()) for (const t of list) all.set(transitionKey(t), t);
    for (const t of node.always ?? []) all.set(transitionKey(t), t);
    for (const child of Object.values(node.states)) visit(child);
  };
  visit(connectorMachine.root);
  return all;
}

export function chartStates(): string[] {
  const ids: string[] = [];
  const visit = (node: AnyStateNode) => {
    ids.push(node.id);
    for (const child of Object.values(node.states)) visit(child);
  };
  visit(connectorMachine.root);
  return ids;
}

export function transitionKey(t: AnyTransitionDefinition): string {
  const list = t.eventType === '' ? (t.source.always ?? []) : (t.source.transitions.get(t.eventType) ?? []);
  const target = t.target?.map((n) => n.id).join(',') ?? '(none)';
  return `${t.source.id} --${t.eventType || 'always'}[${list.indexOf(t)}]--> ${target}`;
}

/** Transitions no real transport can take with a validated config: it cannot fail to start. */
export const UNREALIZABLE = (key: string) => key.includes(TRANSPORT_ERROR);

/** Records the chart transitions and states an actor goes through (from its inspection events). */
export function coverageRecorder() {
  const transitions = new Set<string>();
  const states = new Set<string>();
  const inspect = (e: InspectionEvent) => {
    if (e.type !== '@xstate.microstep') return;
    const taken = (e as unknown as { _transitions: AnyTransitionDefinition[] })._transitions;
    for (const t of taken) transitions.add(transitionKey(t));
    const snapshot = e.snapshot as ConnectorSnapshot;
    if (snapshot.machine?.id !== 'connector') return;
    for (const node of snapshot._nodes) states.add(node.id);
  };
  return { transitions, states, inspect };
}

/**
 * Generates paths from the chart for `dialect`: one per (reachable state, possible event) edge,
 * each the shortest path to the state plus that event, and then keeps a small set that together
 * take every chart transition the model reaches (greedy set cover).
 */
export function generatePaths(dialect: Dialect): {
  paths: ModelPath[];
  toEveryState: ModelPath[];
  candidates: number;
  states: number;
} {
  const input = modelInput(dialect);
  const options = { input, events: possibleEvents(dialect), serializeState: serialize };
  // xstate/graph's generics do not follow machines with typed `emitted` events; the logic is the same.
  const logic = connectorMachine as unknown as AnyStateMachine;
  const adjacency = getAdjacencyMap(logic, options as never) as unknown as Record<
    string,
    { transitions: Record<string, { event: ModelEvent }> }
  >;
  const shortest = new Map(
    getShortestPaths(logic, options as never).map((p) => [serialize(p.state as ConnectorSnapshot), p]),
  );
  const candidates: ModelPath[] = [];
  for (const [key, { transitions }] of Object.entries(adjacency)) {
    const to = shortest.get(key);
    if (!to) continue;
    for (const { event } of Object.values(transitions)) {
      const steps = [...to.steps.slice(1), { event, state: to.state }].map((s) => ({
        event: s.event as ModelEvent,
        state: s.state as ConnectorSnapshot,
      }));
      if (realizable(steps))
        candidates.push({
          steps,
          covers: replayCoverage(
            input,
            steps.map((s) => s.event),
          ),
        });
    }
  }
  const uncovered = new Set(candidates.flatMap((c) => [...c.covers]));
  const chosen: ModelPath[] = [];
  while (uncovered.size > 0) {
    let best = candidates[0] as ModelPath;
    let gain = -1;
    for (const c of candidates) {
      const g = [...c.covers].filter((k) => uncovered.has(k)).length;
      if (g > gain || (g === gain && c.steps.length < best.steps.length)) {
        best = c;
        gain = g;
      }
    }
    chosen.push(best);
    for (const k of best.covers) uncovered.delete(k);
  }
  // Replace each chosen path's states by a replay, so expected states come from one actor run.
  const fromEvents = (events: ModelEvent[]): ModelPath => ({
    steps: replaySteps(input, events),
    covers: replayCoverage(input, events),
  });
  return {
    paths: chosen.map((p) => fromEvents(p.steps.map((s) => s.event))),
    toEveryState: [...shortest.values()]
      .filter((p) => p.steps.length > 1)
      .map((p) => fromEvents(p.steps.slice(1).map((s) => s.event as ModelEvent)))
      .filter((p) => realizable(p.steps)),
    candidates: candidates.length,
    states: Object.keys(adjacency).length,
  };
}

function replay(input: ConnectorInput, events: ModelEvent[]) {
  const recorder = coverageRecorder();
  const clock = new SimulatedClock();
  const actor = createActor(connectorMachine, {
    input,
    clock,
    inspect: recorder.inspect,
  }).start();
  const states: ConnectorSnapshot[] = [];
  for (const event of events) {
    if (event.type === AFTER_BACKOFF || event.type === AFTER_STABLE) {
      const s = actor.getSnapshot();
      clock.increment(event.type === AFTER_BACKOFF ? s.context.retryDelayMs : s.context.stableAfterMs);
    } else if (event.type === AFTER_ACK.subscribing || event.type === AFTER_ACK.resubscribing) {
      clock.increment(input.source.ackTimeoutMs ?? 0);
    } else {
      actor.send(event);
    }
    states.push(actor.getSnapshot());
  }
  actor.stop();
  return { recorder, states };
}

function replayCoverage(input: ConnectorInput, events: ModelEvent[]): Set<string> {
  return replay(input, events).recorder.transitions;
}

function replaySteps(input: ConnectorInput, events: ModelEvent[]): ModelPath['steps'] {
  const { states } = replay(input, events);
  return events.map((event, i) => ({ event, state: states[i] as ConnectorSnapshot }));
}
