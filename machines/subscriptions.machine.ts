import { enqueueActions, setup } from 'xstate';
import {
  type DemandSource,
  demandBySource,
  heldPairs,
  type PairKey,
  pairKey,
  sameList,
  splitPair,
} from './demand.js';

export interface SubscriptionsInput {
  sources: readonly DemandSource[];
}

export interface SubscriptionsContext {
  sources: Record<string, DemandSource>;
  /** Each connected client's trade-topic filters (a set: a filter subscribed twice is held once). */
  filters: Record<string, string[]>;
  /** Pairs no longer held but kept until their source's `lingerMs` passes. */
  lingering: PairKey[];
  /** Demand last announced to the parent, per source. */
  demand: Record<string, string[]>;
}

export type SubscriptionsEvent =
  | { type: 'CLIENT.SUBSCRIBE'; clientId: string; filters: readonly string[] }
  | { type: 'CLIENT.UNSUBSCRIBE'; clientId: string; filters: readonly string[] }
  | { type: 'CLIENT.DISCONNECT'; clientId: string }
  | { type: 'SOURCE.UPSERT'; source: DemandSource }
  | { type: 'SOURCE.REMOVE'; id: string }
  | { type: 'LINGER.EXPIRED'; key: PairKey };

/** Sent to the parent (the supervisor) whenever a source's demanded symbols change. */
export interface DemandChanged {
  type: 'DEMAND.CHANGED';
  source: string;
  symbols: string[];
}

const lingerId = (key: PairKey) => `linger:${key}`;

function applyEvent(context: SubscriptionsContext, event: SubscriptionsEvent): Partial<SubscriptionsContext> {
  switch (event.type) {
    case 'CLIENT.SUBSCRIBE': {
      const current = context.filters[event.clientId] ?? [];
      const next = [...new Set([...current, ...event.filters])];
      return { filters: { ...context.filters, [event.clientId]: next } };
    }
    case 'CLIENT.UNSUBSCRIBE': {
      const next = (context.filters[event.clientId] ?? []).filter((f) => !event.filters.includes(f));
      const filters = { ...context.filters, [event.clientId]: next };
      if (next.length === 0) delete filters[event.clientId];
      return { filters };
    }
    case 'CLIENT.DISCONNECT': {
      const filters = { ...context.filters };
      delete filters[event.clientId];
      return { filters };
    }
    case 'SOURCE.UPSERT':
      return { sources: { ...context.sources, [event.source.id]: event.source } };
    case 'SOURCE.REMOVE': {
      const sources = { ...context.sources };
      delete sources[event.id];
      const demand = { ...context.demand };
      delete demand[event.id];
      const lingering = context.lingering.filter((k) => splitPair(k)[0] !== event.id);
      return { sources, demand, lingering };
    }
    case 'LINGER.EXPIRED':
      return { lingering: context.lingering.filter((k) => k !== event.key) };
    default:
      // xstate.init: nothing to apply, only derive.
      return {};
  }
}

export const subscriptionsMachine = setup({
  types: {
    input: {} as SubscriptionsInput,
    context: {} as SubscriptionsContext,
    events: {} as SubscriptionsEvent,
  },
  actions: {
    /**
     * Applies the event, then re-derives demand: held pairs, plus lingering ones, plus every
     * symbol of `alwaysOn` sources. Pairs that stop being held start lingering; pairs held again
     * stop. Changes go to the parent as DEMAND.CHANGED, one per source that changed.
     */
    recompute: enqueueActions(({ context, event, enqueue }) => {
      const next = { ...context, ...applyEvent(context, event) };
      const held = heldPairs(next.sources, next.filters);
      const lingering = new Set(next.lingering.filter((k) => !held.has(k)));
      // A linger that ends early (held again, or its source removed) must not fire later.
      for (const key of context.lingering) {
        const expired = event.type === 'LINGER.EXPIRED' && event.key === key;
        if (!lingering.has(key) && !expired) enqueue.cancel(lingerId(key));
      }
      for (const [sourceId, symbols] of Object.entries(next.demand)) {
        const source = next.sources[sourceId];
        if (!source) continue;
        for (const symbol of symbols) {
          const key = pairKey(sourceId, symbol);
          if (held.has(key) || lingering.has(key) || source.alwaysOn || source.lingerMs === 0) continue;
          // A just-expired pair must not start lingering again.
          if (event.type === 'LINGER.EXPIRED' && event.key === key) continue;
          lingering.add(key);
          enqueue.raise({ type: 'LINGER.EXPIRED', key }, { id: lingerId(key), delay: source.lingerMs });
        }
      }
      const demand = demandBySource(next.sources, new Set([...held, ...lingering]));
      for (const [source, symbols] of Object.entries(demand)) {
        if (!sameList(next.demand[source], symbols)) {
          enqueue.sendParent({ type: 'DEMAND.CHANGED', source, symbols } satisfies DemandChanged);
        }
      }
      enqueue.assign({ sources: next.sources, filters: next.filters, lingering: [...lingering], demand });
    }),
  },
}).createMachine({
  id: 'subscriptions',
  description: 'Reference counts of MQTT subscriptions per source/symbol, turned into upstream demand.',
  context: ({ input }) => ({
    sources: Object.fromEntries(input.sources.map((s) => [s.id, s])),
    filters: {},
    lingering: [],
    demand: {},
  }),
  initial: 'counting',
  states: {
    counting: {
      description: 'Tracks which clients hold which trade topics and announces demand changes.',
      entry: 'recompute',
      on: {
        'CLIENT.SUBSCRIBE': { actions: 'recompute' },
        'CLIENT.UNSUBSCRIBE': { actions: 'recompute' },
        'CLIENT.DISCONNECT': { actions: 'recompute' },
        'SOURCE.UPSERT': { actions: 'recompute' },
        'SOURCE.REMOVE': { actions: 'recompute' },
        'LINGER.EXPIRED': { actions: 'recompute' },
      },
    },
  },
});
