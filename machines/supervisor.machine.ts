import { enqueueActions, setup } from 'xstate';
import { type ConnectorInput, connectorMachine } from './connector.machine.js';
import type { DemandSource } from './demand.js';
import { type DemandChanged, subscriptionsMachine } from './subscriptions.machine.js';

/** A source as the supervisor needs it: what its connector needs plus its demand rules. */
export type SupervisedSource = ConnectorInput['source'] & { alwaysOn: boolean; lingerMs: number };

export interface SupervisorInput {
  sources: readonly SupervisedSource[];
}

export interface SupervisorContext {
  sources: Record<string, SupervisedSource>;
  /** Demand last routed to each connector, so a restarted one starts with it. */
  demand: Record<string, string[]>;
  /** Times each connector was restarted after failing. */
  restarts: Record<string, number>;
}

const CHILD_ERROR = 'xstate.error.actor.';

export type SupervisorEvent =
  | { type: 'SOURCE.ADD'; source: SupervisedSource }
  | { type: 'SOURCE.REMOVE'; id: string }
  | { type: 'SHUTDOWN' }
  | DemandChanged;

const demandSource = (s: SupervisedSource): DemandSource => ({
  id: s.sourceId,
  symbols: s.symbols,
  alwaysOn: s.alwaysOn,
  lingerMs: s.lingerMs,
});

export const supervisorMachine = setup({
  types: {
    input: {} as SupervisorInput,
    context: {} as SupervisorContext,
    events: {} as SupervisorEvent,
  },
  actors: {
    // The connector's own transport is a placeholder; the runtime provides a connector with a real one.
    connector: connectorMachine,
    subscriptions: subscriptionsMachine,
  },
  guards: {
    isNewSource: ({ context, event }) =>
      event.type === 'SOURCE.ADD' && !(event.source.sourceId in context.sources),
    isKnownSource: ({ context, event }) => event.type === 'SOURCE.REMOVE' && event.id in context.sources,
  },
  actions: {
    spawnAll: enqueueActions(({ context, enqueue }) => {
      for (const source of Object.values(context.sources)) {
        enqueue.spawnChild('connector', { id: source.sourceId, input: { source } });
      }
      enqueue.spawnChild('subscriptions', {
        id: 'subscriptions',
        systemId: 'subscriptions',
        input: { sources: Object.values(context.sources).map(demandSource) },
      });
    }),
    addSource: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'SOURCE.ADD') return;
      const { source } = event;
      enqueue.assign({ sources: { ...context.sources, [source.sourceId]: source } });
      enqueue.spawnChild('connector', { id: source.sourceId, input: { source } });
      enqueue.sendTo('subscriptions', { type: 'SOURCE.UPSERT', source: demandSource(source) });
    }),
    removeSource: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'SOURCE.REMOVE') return;
      const sources = { ...context.sources };
      delete sources[event.id];
      enqueue.assign({ sources });
      enqueue.sendTo(event.id, { type: 'STOP' });
      enqueue.sendTo('subscriptions', { type: 'SOURCE.REMOVE', id: event.id });
    }),
    forwardDemand: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'DEMAND.CHANGED' || !Object.hasOwn(context.sources, event.source)) return;
      enqueue.assign({ demand: { ...context.demand, [event.source]: event.symbols } });
      enqueue.sendTo(event.source, { type: 'DEMAND', symbols: event.symbols });
    }),
    /**
     * A connector that failed (an uncaught error in it) is replaced by a fresh one with the same
     * id and the current demand, so one source's bug never stops the others or the server.
     */
    restartConnector: enqueueActions(({ context, event, enqueue }) => {
      const id = event.type.slice(CHILD_ERROR.length);
      const source = Object.hasOwn(context.sources, id) ? context.sources[id] : undefined;
      if (!source) return;
      enqueue.assign({ restarts: { ...context.restarts, [id]: (context.restarts[id] ?? 0) + 1 } });
      enqueue.stopChild(id);
      enqueue.spawnChild('connector', { id, input: { source, wanted: context.demand[id] ?? [] } });
    }),
    stopAll: enqueueActions(({ context, enqueue }) => {
      for (const id of Object.keys(context.sources)) enqueue.sendTo(id, { type: 'STOP' });
    }),
  },
}).createMachine({
  id: 'supervisor',
  description:
    'Owns one connector per source and the refcount actor that turns MQTT demand into upstream demand.',
  context: ({ input }) => ({
    sources: Object.fromEntries(input.sources.map((s) => [s.sourceId, s])),
    demand: {},
    restarts: {},
  }),
  initial: 'running',
  states: {
    running: {
      description:
        'Connectors run. Sources are added and removed, demand is routed to them, a failed connector is restarted.',
      entry: 'spawnAll',
      on: {
        'SOURCE.ADD': { guard: 'isNewSource', actions: 'addSource' },
        'SOURCE.REMOVE': { guard: 'isKnownSource', actions: 'removeSource' },
        'DEMAND.CHANGED': { actions: 'forwardDemand' },
        'xstate.error.actor.*': { actions: 'restartConnector' },
        SHUTDOWN: { target: 'stopped' },
      },
    },
    stopped: {
      description: 'Shutting down. Every connector was told to stop and release its upstream subscriptions.',
      entry: 'stopAll',
    },
  },
});
