import type { Logger } from 'pino';
import {
  type ActorRefFrom,
  type AnyActorRef,
  createActor,
  type InspectionEvent,
  type Observer,
  type Subscription,
} from 'xstate';
import {
  type ConnectorEmitted,
  connectorMachine,
  type SupervisedSource,
  supervisorMachine,
} from '../../machines/index.js';
import { createAuth, type EmbeddedBroker, startBroker } from '../broker/index.js';
import { createWsTransport } from '../connectors/index.js';
import { topics } from '../domain/index.js';
import { type HttpServer, type SourceView, startHttpServer } from '../http/index.js';
import { Pipeline, TradeStore } from '../pipeline/index.js';
import { type Config, type SourceConfig, sourceSchema } from './config/index.js';
import { publishMachineTopics } from './machine-topics.js';
import { countSubscriptions, createMetrics } from './metrics.js';
import { rpcMethods } from './rpc-methods.js';
import { createSourceSink, newSourceStats, recordState, type SourceStats } from './source-stats.js';
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
  /** The HTTP port actually bound (`http.port: 0` picks a free one). */
  readonly httpPort: number;
  /** Current status of every source, by id. */
  statuses(): Record<string, SourceStatus>;
  sourceStats(id: string): SourceStats | undefined;
  addSource(source: SourceConfig): void;
  /**
   * Stops the source (upstream released, status `stopped`), then clears its retained `status/{id}`
   * and forgets its counters. Resolves when done; an unknown id resolves at once.
   */
  removeSource(id: string): Promise<void>;
  /**
   * Sends RETRY to a source whose connector gave up (`failed`, after `backoff.maxAttempts`):
   * it starts over with a fresh attempt count. Returns the state it was in; only `failed` retries.
   */
  retrySource(id: string): string | undefined;
  /**
   * Closes HTTP (no new requests), releases upstream subscriptions, marks everything
   * offline/stopped, closes the broker. Idempotent.
   */
  stop(): Promise<void>;
}

export interface ServerOptions {
  /** An inspection observer for the whole actor system (`serve --inspect`); off by default: it is costly. */
  inspect?: Observer<InspectionEvent> | undefined;
}

/** Wires broker, data plane and actor system together from one validated config. */
export async function createServer(
  config: Config,
  logger: Logger,
  options: ServerOptions = {},
): Promise<DataServer> {
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
      s = newSourceStats();
      stats.set(id, s);
    }
    return s;
  };

  const transport = createWsTransport({
    logger,
    flow: broker.flow,
    sink: (sourceId) => createSourceSink(sourceId, pipeline, statsFor(sourceId), logger),
  });
  const machine = supervisorMachine.provide({
    actors: {
      connector: connectorMachine.provide({ actors: { transport } }),
    },
  });
  const supervisor = createActor(machine, {
    input: { sources: config.sources.map(toSupervisedSource) },
    inspect: options.inspect,
  });

  /** Removals waiting for their connector's `stopped` status, by source id. */
  const removals = new Map<string, () => void>();
  const onStatus = ({ status, previous }: StatusChange) => {
    statuses.set(status.source, status);
    recordState(statsFor(status.source), status.state);
    if (status.state === 'stopped') removals.get(status.source)?.();
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
    if (type === 'connection.lost') statsFor(source).connectionsLost++;
    const payload = {
      jsonrpc: '2.0',
      method: type,
      params: { source, ...params, at: new Date().toISOString() },
    };
    broker.publish(topics.events(source), JSON.stringify(payload));
    logger.child({ source }).info(params, type);
  };

  // Keyed by id but checked by actor: a source removed and added again is a new actor to follow.
  // Entries are never deleted: a stopped connector stays among the supervisor's children until a
  // source of the same id replaces it, and must not be followed (and its status published) again.
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
  let restarts: Readonly<Record<string, number>> = {};
  supervisor.subscribe({
    next: (snapshot) => {
      watchChildren();
      if (snapshot.context.restarts === restarts) return;
      for (const [source, n] of Object.entries(snapshot.context.restarts)) {
        if (n !== restarts[source])
          logger.child({ source }).error({ restarts: n }, 'connector failed and was restarted');
      }
      restarts = snapshot.context.restarts;
    },
    error: (err) => logger.error({ err }, 'supervisor failed'),
  });
  supervisor.start();
  watchChildren();
  // Retained `machines/{actorId}`: each actor's state for dashboards and MQTT tools.
  const machineTopics = publishMachineTopics({
    supervisor,
    publish: (topic, payload) => broker.publish(topic, payload, true),
  });

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

  const addSource = (source: SourceConfig) =>
    supervisor.send({ type: 'SOURCE.ADD', source: toSupervisedSource(source) });
  const removeSource = async (id: string): Promise<void> => {
    const snapshot = supervisor.getSnapshot();
    if (snapshot.value !== 'running' || !(id in snapshot.context.sources)) return;
    const stopped = new Promise<void>((resolve) => removals.set(id, resolve));
    supervisor.send({ type: 'SOURCE.REMOVE', id });
    await stopped;
    removals.delete(id);
    // Its connector's final state and then the clear of `machines/{id}` go out now, before the answer.
    machineTopics.flush();
    // MQTT-3.3.1-10: an empty retained payload removes the retained message; `stopped` went out first.
    await broker.publishAsync(topics.status(id), '', true);
    statuses.delete(id);
    const retired = stats.get(id);
    // Frames already in flight on the closing socket must not publish or recreate its counters.
    if (retired) retired.retired = true;
    stats.delete(id);
    pipeline.forgetSource(id);
    logger.child({ source: id }).info('source removed');
  };

  const retrySource = (id: string): string | undefined => {
    const state = statuses.get(id)?.state;
    if (state !== 'failed') return state;
    const connector = supervisor.getSnapshot().children[id] as ConnectorActor | undefined;
    connector?.send({ type: 'RETRY' });
    logger.child({ source: id }).info('retry requested');
    return state;
  };

  const metrics = createMetrics({
    version: VERSION,
    pipeline,
    store,
    sources: () => stats.entries(),
    brokerStats: broker.stats,
    authStats: auth.stats,
    mqttClients: () => broker.aedes.connectedClients,
    mqttSubscriptions: () => countSubscriptions(broker.aedes),
    connectorRestarts: () => supervisor.getSnapshot().context.restarts,
  });

  let http: HttpServer | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      // First, so no request sees (or starts) a half-stopped server.
      await http?.close();
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
      machineTopics.stop();
      supervisor.stop();
      await broker.close();
      logger.info('server stopped');
    })();
    return stopping;
  };

  try {
    http = await startHttpServer({
      host: config.http.host,
      port: config.http.port,
      logger,
      context: {
        version: VERSION,
        startedAt,
        ports: () => ({ mqtt: broker.port, mqttWs: broker.wsPort }),
        brokerListening: () => !broker.aedes.closed,
        statuses: () => Object.fromEntries(statuses),
        sources: () => Object.values(supervisor.getSnapshot().context.sources).map(sourceView),
        store,
        metrics: async () => ({ contentType: metrics.contentType, body: await metrics.scrape() }),
        adminToken: config.http.adminToken,
        sourceSchema,
        addSource,
        removeSource,
        retrySource,
      },
    });
  } catch (err) {
    await stop();
    throw err;
  }
  const httpPort = http.port;

  return {
    config,
    broker,
    pipeline,
    store,
    supervisor,
    startedAt,
    httpPort,
    statuses: () => Object.fromEntries(statuses),
    sourceStats: (id) => stats.get(id),
    addSource,
    removeSource,
    retrySource,
    stop,
  };
}

/** A running source's configuration for HTTP readers: no token, no credentials in the URL. */
function sourceView(s: SupervisedSource): SourceView {
  let url = s.url;
  try {
    const u = new URL(s.url);
    if (u.username || u.password) {
      u.username = '';
      u.password = '';
      url = u.toString();
    }
  } catch {
    // validated at load; keep it as is
  }
  return {
    id: s.sourceId,
    kind: s.kind,
    url,
    symbols: [...s.symbols],
    alwaysOn: s.alwaysOn,
    backoff: { ...s.backoff },
    staleAfterMs: s.staleAfterMs,
    ackTimeoutMs: s.ackTimeoutMs,
    lingerMs: s.lingerMs,
    hasToken: s.token !== '',
  };
}
