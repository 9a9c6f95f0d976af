import type { AnyActorRef, AnyMachineSnapshot, StateValue, Subscription } from 'xstate';
import {
  type ConnectorContext,
  type DemandSource,
  heldPairs,
  type SubscriptionsContext,
  type SupervisorContext,
} from '../../machines/index.js';
import { topics } from '../domain/index.js';

export type MachineName = 'connector' | 'supervisor' | 'subscriptions';

/** The retained `machines/{actorId}` payload (interface B of issue 7). */
export interface MachinePayload {
  actorId: string;
  machine: MachineName;
  value: StateValue;
  /** Every active state path, compound and atomic, joined with `.`, in document order. */
  states: string[];
  status: string;
  context: unknown;
  at: string;
}

/** The actor ids that are not connectors; config validation keeps sources from taking them. */
export const SUPERVISOR_ID = 'supervisor';
export const SUBSCRIPTIONS_ID = 'subscriptions';

interface StateNodeLike {
  readonly states: Readonly<Record<string, StateNodeLike>>;
}

/**
 * `{session: 'subscribed'}` → `['session', 'session.subscribed']`. Walks the machine's own state
 * nodes, so the order is the chart's (document order), whatever order the value lists them in.
 */
export function activeStatePaths(root: StateNodeLike, value: StateValue): string[] {
  const out: string[] = [];
  const walk = (node: StateNodeLike, v: StateValue, prefix: string) => {
    for (const [key, child] of Object.entries(node.states)) {
      const active = typeof v === 'string' ? v === key : Object.hasOwn(v, key);
      if (!active) continue;
      const path = prefix === '' ? key : `${prefix}.${key}`;
      out.push(path);
      if (typeof v === 'object') {
        const inner = v[key];
        if (inner !== undefined) walk(child, inner, path);
      }
    }
  };
  walk(root, value, '');
  return out;
}

const isoOrNull = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function connectorView(c: ConnectorContext) {
  return {
    source: c.source.sourceId,
    kind: c.source.kind,
    attempt: c.attempt,
    sessions: c.sessions,
    lastError: c.lastError,
    retryDelayMs: c.retryDelayMs,
    nextRetryAt: isoOrNull(c.nextRetryAt),
    symbols: { ...c.symbols },
  };
}

function supervisorView(c: SupervisorContext) {
  const sources = Object.keys(c.sources);
  // Demand once routed to a since-removed source stays in the context; a viewer has no use for it.
  const demand = Object.fromEntries(Object.entries(c.demand).filter(([id]) => Object.hasOwn(c.sources, id)));
  return { sources, demand, restarts: { ...c.restarts } };
}

/**
 * Counts the clients whose filters hold at least one source/symbol. The actor replaces only the
 * filter list of the client an event is about, so per-list answers are cached by identity and a
 * count over thousands of clients re-examines only the lists that changed.
 */
function clientCounter() {
  let sources: Readonly<Record<string, DemandSource>> | undefined;
  let holds = new WeakMap<readonly string[], boolean>();
  return (c: SubscriptionsContext): number => {
    if (c.sources !== sources) {
      sources = c.sources;
      holds = new WeakMap();
    }
    let n = 0;
    for (const [clientId, filters] of Object.entries(c.filters)) {
      let held = holds.get(filters);
      if (held === undefined) {
        held = heldPairs(c.sources, { [clientId]: filters }).size > 0;
        holds.set(filters, held);
      }
      if (held) n++;
    }
    return n;
  };
}

interface Followed {
  actor: AnyActorRef;
  machine: MachineName;
  subscription: Subscription;
  /** The last published payload without `at`; '' when nothing (or a clear) was published last. */
  lastKey: string;
  /** Cleared after its source was removed: never published again. */
  retired: boolean;
}

export interface MachineTopicsOptions {
  supervisor: AnyActorRef;
  /** Publishes a retained message; an empty payload clears the topic (MQTT-3.3.1-10). */
  publish: (topic: string, payload: string) => void;
  now?: () => Date;
}

export interface MachineTopics {
  /** Publishes every pending change now (also picks up new and removed connectors). */
  flush(): void;
  /** Publishes what is pending, then stops following the actors. */
  stop(): void;
}

/**
 * Keeps one retained `machines/{actorId}` topic per live actor: the supervisor, the refcount
 * actor and each connector. Actor snapshots only mark the actor dirty; the payloads are built and
 * compared once per turn of the event loop, so a burst of subscriptions costs one publish, and
 * one is published only when its content (everything but `at`) changed. Trades are no actor
 * events, so none of this runs per trade.
 */
export function publishMachineTopics({
  supervisor,
  publish,
  now = () => new Date(),
}: MachineTopicsOptions): MachineTopics {
  const followed = new Map<string, Followed>();
  const dirty = new Set<string>();
  const countClients = clientCounter();
  let pending: NodeJS.Immediate | undefined;
  let stopped = false;

  const markDirty = (id: string) => {
    if (stopped) return;
    dirty.add(id);
    pending ??= setImmediate(flush);
  };

  const follow = (id: string, actor: AnyActorRef, machine: MachineName) => {
    const previous = followed.get(id);
    previous?.subscription.unsubscribe();
    const onChange = () => markDirty(id);
    followed.set(id, {
      actor,
      machine,
      subscription: actor.subscribe({ next: onChange, error: onChange, complete: onChange }),
      lastKey: previous && !previous.retired ? previous.lastKey : '',
      retired: false,
    });
    markDirty(id);
  };

  /** Follows children spawned since the last look: added sources, restarted connectors. */
  const syncChildren = (snapshot: AnyMachineSnapshot) => {
    for (const [id, child] of Object.entries(snapshot.children as Record<string, AnyActorRef | undefined>)) {
      if (!child || followed.get(id)?.actor === child) continue;
      follow(id, child, id === SUBSCRIPTIONS_ID ? 'subscriptions' : 'connector');
    }
  };

  const contextView = (machine: MachineName, context: unknown): unknown => {
    switch (machine) {
      case 'connector':
        return connectorView(context as ConnectorContext);
      case 'supervisor':
        return supervisorView(context as SupervisorContext);
      case 'subscriptions': {
        const c = context as SubscriptionsContext;
        return { demand: c.demand, clients: countClients(c) };
      }
    }
  };

  const publishOne = (id: string, entry: Followed, sources: Readonly<Record<string, unknown>>) => {
    if (entry.retired) return;
    const snapshot = entry.actor.getSnapshot() as AnyMachineSnapshot;
    const body = {
      actorId: id,
      machine: entry.machine,
      value: snapshot.value,
      states: activeStatePaths(snapshot.machine.root, snapshot.value),
      status: snapshot.status,
      context: contextView(entry.machine, snapshot.context),
    };
    const key = JSON.stringify(body);
    if (key !== entry.lastKey) {
      entry.lastKey = key;
      const payload: MachinePayload = { ...body, at: now().toISOString() };
      publish(topics.machine(id), JSON.stringify(payload));
    }
    // A removed source's connector: its final state went out just above (or earlier); now clear it.
    if (entry.machine === 'connector' && snapshot.status !== 'active' && !Object.hasOwn(sources, id)) {
      entry.retired = true;
      entry.lastKey = '';
      entry.subscription.unsubscribe();
      publish(topics.machine(id), '');
    }
  };

  function flush() {
    if (pending) clearImmediate(pending);
    pending = undefined;
    const supervisorSnapshot = supervisor.getSnapshot() as AnyMachineSnapshot;
    syncChildren(supervisorSnapshot);
    const sources = (supervisorSnapshot.context as SupervisorContext).sources;
    // The supervisor first, then its children: a reader sees a source listed before its connector.
    const order = [SUPERVISOR_ID, ...[...dirty].filter((id) => id !== SUPERVISOR_ID)];
    for (const id of order) {
      if (!dirty.delete(id)) continue;
      const entry = followed.get(id);
      if (entry) publishOne(id, entry, sources);
    }
  }

  follow(SUPERVISOR_ID, supervisor, 'supervisor');
  // Supervisor changes may mean new children: follow them before they change again.
  const childWatch = supervisor.subscribe({
    next: (snapshot) => {
      if (!stopped) syncChildren(snapshot as AnyMachineSnapshot);
    },
    error: () => {},
  });
  flush();

  return {
    flush,
    stop() {
      if (stopped) return;
      flush();
      stopped = true;
      childWatch.unsubscribe();
      for (const entry of followed.values()) entry.subscription.unsubscribe();
    },
  };
}
