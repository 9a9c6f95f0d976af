import type { Logger } from 'pino';
import { type ActorRefFrom, type AnyActorRef, createActor, type Subscription } from 'xstate';
import { type ConnectorEmitted, connectorMachine, supervisorMachine } from '../../machines/index.js';
import { createAuth, type EmbeddedBroker, startBroker } from '../broker/index.js';
import { createWsTransport } from '../connectors/index.js';
import { topics } from '../domain/index.js';
import { Pipeline, TradeStore } from '../pipeline/index.js';
import type { Config, SourceConfig } from './config/index.js';
import { rpcMethods } from './rpc-methods.js';
import { createSourceSink, type SourceStats } from './source-stats.js';
import { toSupervisedSource } from './sources.js';
import { type ConnectorActor, type SourceStatus, type StatusChange, watchConnector } from './status.js';
import { VERSION } from './version.js';

export type SupervisorActor = ActorRefFrom<typeof supervisorMachine>;

export interface DataServer {
  readonly config: Config;
  readonly broker: EmbeddedBroker;
  readonly pipeline: Pipeline;
  readonly store: TradeStore;
  readonly supervisor: SupervisorActor;
  readonly startedAt: Date;
  /** Current status of every source, by id. */
  statuses(): Record<string, SourceStatus>;
  sourceStats(id: string): SourceStats | undefined;
  addSource(source: SourceConfig): void;
  removeSource(id: string): void;
  /** Releases upstream subscriptions, marks everything offline/stopped, closes the broker. Idempotent. */
  stop(): Promise<void>;
}

/** Wires broker, data plane and actor system together from one validated config. */
export async function createServer(config: Config, logger: Logger): Promise<DataServer> {
  const startedAt = new Date();
  const { host, port, wsPort, limits } = config.mqtt;
  const auth = createAuth(config.mqtt.auth, logger);
  const broker = await startBroker({
    host,
    port,
    wsPort,
    limits,
    logger,
    auth: config.mqtt.auth ? auth : undefined,
  });
  const store = new TradeStore(config.store.maxTradesPerSymbol);
  const pipeline = new Pipeline({ store, publish: (topic, payload) => broker.publish(topic, payload) });
  const stats = new Map<string, SourceStats>();
  const statuses = new Map<string, SourceStatus>();

  const statsFor = (id: string): SourceStats => {
    let s = stats.get(id);
    if (!s) {
      s = { badFrames: {}, duplicateFrames: 0 };
      stats.set(id, s);
    }
    return s;
  };

  const transport = createWsTransport({
    logger,
    sink: (sourceId) => createSourceSink(sourceId, pipeline, statsFor(sourceId), logger),
  });
  const machine = supervisorMachine.provide({
    actors: {
      connector: connectorMachine.provide({ actors: { transport } }),
    },
  });
  const supervisor = createActor(machine, {
    input: { sources: config.sources.map(toSupervisedSource) },
  });

  const onStatus = ({ status, previous }: StatusChange) => {
    statuses.set(status.source, status);
    broker.publish(topics.status(status.source), JSON.stringify(status), true);
    if (previous?.state !== status.state) {
      logger
        .child({ source: status.source })
        .info(
          { state: status.state, attempt: status.attempt, lastError: status.lastError },
          'connector state',
        );
    }
  };
  /** A connector's announcements as JSON-RPC 2.0 notifications on `events/{source}`. */
  const onEmitted = (source: string, { type, ...params }: ConnectorEmitted) => {
    const payload = {
      jsonrpc: '2.0',
      method: type,
      params: { source, ...params, at: new Date().toISOString() },
    };
    broker.publish(topics.events(source), JSON.stringify(payload));
    logger.child({ source }).info(params, type);
  };

  // Keyed by id but checked by actor: a source removed and added again is a new actor to follow.
  const watched = new Map<string, { actor: unknown; status: Subscription; emitted: Subscription }>();
  const watchChildren = () => {
    const { children } = supervisor.getSnapshot();
    for (const [id, child] of Object.entries(children)) {
      if (id === 'subscriptions' || !child || watched.get(id)?.actor === child) continue;
      const connector = child as ConnectorActor;
      const previous = watched.get(id);
      previous?.status.unsubscribe();
      previous?.emitted.unsubscribe();
      watched.set(id, {
        actor: child,
        status: watchConnector(id, connector, onStatus),
        emitted: connector.on('*', (event) => onEmitted(id, event)),
      });
    }
  };
  supervisor.subscribe({
    next: watchChildren,
    error: (err) => logger.error({ err }, 'supervisor failed'),
  });
  supervisor.start();
  watchChildren();

  const subscriptions = (): AnyActorRef | undefined => supervisor.system.get('subscriptions');
  broker.listen({
    subscribe: (clientId, filters) => subscriptions()?.send({ type: 'CLIENT.SUBSCRIBE', clientId, filters }),
    unsubscribe: (clientId, filters) =>
      subscriptions()?.send({ type: 'CLIENT.UNSUBSCRIBE', clientId, filters }),
    disconnect: (clientId) => subscriptions()?.send({ type: 'CLIENT.DISCONNECT', clientId }),
  });

  broker.serveRpc(
    rpcMethods({
      store,
      statuses: () => Object.fromEntries(statuses),
      sources: () =>
        Object.values(supervisor.getSnapshot().context.sources).map((s) => ({
          id: s.sourceId,
          kind: s.kind,
          symbols: s.symbols,
          alwaysOn: s.alwaysOn,
        })),
    }),
  );

  await broker.publishAsync(
    topics.serverStatus,
    JSON.stringify({ state: 'online', startedAt: startedAt.toISOString(), version: VERSION }),
    true,
  );

  let stopping: Promise<void> | undefined;
  return {
    config,
    broker,
    pipeline,
    store,
    supervisor,
    startedAt,
    statuses: () => Object.fromEntries(statuses),
    sourceStats: (id) => stats.get(id),
    addSource: (source) => supervisor.send({ type: 'SOURCE.ADD', source: toSupervisedSource(source) }),
    removeSource: (id) => supervisor.send({ type: 'SOURCE.REMOVE', id }),
    stop() {
      stopping ??= (async () => {
        supervisor.send({ type: 'SHUTDOWN' });
        await broker.publishAsync(
          topics.serverStatus,
          JSON.stringify({ state: 'offline', startedAt: startedAt.toISOString(), version: VERSION }),
          true,
        );
        for (const w of watched.values()) {
          w.status.unsubscribe();
          w.emitted.unsubscribe();
        }
        supervisor.stop();
        await broker.close();
        logger.info('server stopped');
      })();
      return stopping;
    },
  };
}
