import { once } from 'node:events';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import {
  type AddressInfo,
  createServer as createNetServer,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import type { Readable } from 'node:stream';
import { Aedes, type AedesPublishPacket } from 'aedes';
import type { Logger } from 'pino';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { describeError, topics } from '../domain/index.js';
import { rpcOwner } from './acl.js';
import { autocork } from './autocork.js';
import { PublishFlow } from './flow.js';
import {
  type BrokerAuth,
  type BrokerLimits,
  type BrokerStats,
  brokerHooks,
  newBrokerStats,
} from './hooks.js';
import { handleRpc, type RpcMethod } from './jsonrpc.js';
import { guardPacketSize } from './packet-guard.js';

export interface BrokerOptions {
  host: string;
  port: number;
  wsPort: number;
  logger: Logger;
  limits?: Partial<BrokerLimits>;
  auth?: BrokerAuth | undefined;
}

export const DEFAULT_LIMITS: BrokerLimits = {
  maxConnections: 10_000,
  maxSubscriptionsPerClient: 100,
  maxPacketBytes: 256 * 1024,
  maxClientBacklogBytes: 1024 * 1024,
  drainTimeoutMs: 5_000,
};

/** What the broker reports about clients' trade-topic interest (the refcount actor's input). */
export interface BrokerListeners {
  subscribe(clientId: string, filters: string[]): void;
  unsubscribe(clientId: string, filters: string[]): void;
  disconnect(clientId: string): void;
}

/** The embedded MQTT broker: Aedes on TCP and on WebSocket (`/mqtt`). */
export interface EmbeddedBroker {
  readonly aedes: Aedes;
  readonly port: number;
  readonly wsPort: number;
  readonly stats: BrokerStats;
  /** The server's publishes still inside Aedes: upstream readers pause while it is saturated. */
  readonly flow: PublishFlow;
  /** Fire-and-forget publish from the server itself (QoS 0), counted in `flow`. */
  publish(topic: string, payload: Buffer | string, retain?: boolean): void;
  /** Publishes and resolves once the broker has taken the message (retained ones stored). */
  publishAsync(topic: string, payload: Buffer | string, retain?: boolean): Promise<void>;
  listen(listeners: BrokerListeners): void;
  /** Answers JSON-RPC 2.0 requests on `rpc/{clientId}/request` with `rpc/{clientId}/response`. */
  serveRpc(methods: Readonly<Record<string, RpcMethod>>): void;
  close(): Promise<void>;
}

const noop = () => {};

/** How long a closing broker waits for clients to receive what was already sent. */
const CLOSE_GRACE_MS = 500;

interface RetainedStore {
  storeRetained(packet: AedesPublishPacket): Promise<void>;
}

export async function startBroker(options: BrokerOptions): Promise<EmbeddedBroker> {
  const log = options.logger.child({ component: 'broker' });
  const stats = newBrokerStats();
  const limits: BrokerLimits = { ...DEFAULT_LIMITS, ...options.limits };
  let connected = () => 0;
  const flow = new PublishFlow();
  const aedes = await Aedes.createBroker({
    ...brokerHooks({ limits, auth: options.auth, stats, logger: log, connectedClients: () => connected() }),
    // A client whose socket stays full this long is disconnected (Aedes' own slow-client guard).
    drainTimeout: limits.drainTimeoutMs,
  });
  connected = () => aedes.connectedClients;
  aedes.on('clientError', (client, err) => log.debug({ clientId: client.id, err }, 'client error'));
  aedes.on('connectionError', (client, err) => log.debug({ clientId: client?.id, err }, 'connection error'));

  const guard = (stream: Readable) =>
    guardPacketSize(stream, limits.maxPacketBytes, (declared) => {
      stats.oversizedPackets++;
      log.warn(
        { declared, maxPacketBytes: limits.maxPacketBytes },
        'oversized MQTT packet, connection closed',
      );
    });
  const sockets = new Set<Socket>();
  // The write buffer may hold a client's whole allowed backlog before Aedes waits for 'drain'
  // (waiting stalls every publish): the backlog limit (hooks.ts) disconnects it first.
  const tcp: NetServer = createNetServer({ highWaterMark: limits.maxClientBacklogBytes * 2 }, (socket) => {
    // Trades are small and latency-bound: do not let Nagle hold them back (p99 29 → 9.5 ms in the bench).
    socket.setNoDelay(true);
    autocork(socket);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    guard(socket);
    aedes.handle(socket);
  });
  const http: HttpServer = createHttpServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket only, at /mqtt\n');
  });
  const wss = new WebSocketServer({ server: http, path: '/mqtt' });
  wss.on('connection', (ws, req) => {
    const stream = createWebSocketStream(ws, { writableHighWaterMark: limits.maxClientBacklogBytes * 2 });
    guard(stream);
    // A client vanishing mid-write must not surface as an unhandled stream error.
    stream.on('error', (err) => log.debug({ err }, 'websocket stream error'));
    aedes.handle(stream, req);
  });

  try {
    tcp.listen(options.port, options.host);
    await once(tcp, 'listening');
    http.listen(options.wsPort, options.host);
    await once(http, 'listening');
  } catch (err) {
    tcp.close();
    http.close();
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    throw new Error(`MQTT broker cannot listen: ${describeError(err)}`, { cause: err });
  }

  const port = (tcp.address() as AddressInfo).port;
  const wsPort = (http.address() as AddressInfo).port;
  log.info({ host: options.host, port, wsPort }, 'MQTT broker listening (TCP, WebSocket at /mqtt)');

  const packet = (topic: string, payload: Buffer, retain: boolean): AedesPublishPacket =>
    ({
      cmd: 'publish',
      topic,
      payload,
      qos: 0,
      retain,
      dup: false,
    }) as AedesPublishPacket;

  // The persistence interface is Aedes' documented plug-in API, but its instance property is untyped.
  const persistence = (aedes as unknown as { persistence: RetainedStore }).persistence;

  /**
   * Aedes numbers every packet when it is created and drops, per client, any packet numbered
   * below one already delivered. A retained publish first awaits the retained store, so a
   * non-retained publish right behind it (a trade, an event) overtakes it and the retained one
   * is then dropped as a "duplicate". So: store the retained copy ourselves and send the live
   * copy at once, in order with everything else. Live subscribers get retain=0 either way
   * (MQTT-3.3.1-9); new subscribers get the stored copy with retain=1.
   */
  const send = (topic: string, payload: Buffer | string, retain: boolean, done: (err?: Error) => void) => {
    const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
    if (!retain) {
      aedes.publish(packet(topic, body, false), done);
      return;
    }
    const stored = persistence.storeRetained(packet(topic, body, true));
    aedes.publish(packet(topic, body, false), (err) => {
      if (err) done(err);
      else stored.then(() => done(), done);
    });
  };

  let closing: Promise<void> | undefined;
  return {
    aedes,
    port,
    wsPort,
    stats,
    flow,
    publish(topic, payload, retain = false) {
      flow.started();
      send(topic, payload, retain, flow.done);
    },
    publishAsync(topic, payload, retain = false) {
      return new Promise((resolve, reject) =>
        send(topic, payload, retain, (err) => (err ? reject(err) : resolve())),
      );
    },
    serveRpc(methods) {
      aedes.subscribe(
        'rpc/+/request',
        (request, done) => {
          const owner = rpcOwner(request.topic);
          // Only the owner's own publish counts (acl.ts refuses others; this guards the server too).
          if (owner !== undefined && (request as { clientId?: string }).clientId === owner) {
            stats.rpcRequests++;
            const payload =
              typeof request.payload === 'string' ? request.payload : request.payload.toString('utf8');
            const response = handleRpc(payload, methods);
            if (response !== null) send(topics.rpcResponse(owner), response, false, noop);
          }
          done();
        },
        noop,
      );
    },
    listen(listeners) {
      aedes.on('subscribe', (subs, client) => {
        // Aedes reports refused filters too (granted 0x80): those hold nothing.
        const granted = subs.filter((s) => (s.qos as number) !== 128).map((s) => s.topic);
        if (client && granted.length > 0) listeners.subscribe(client.id, granted);
      });
      aedes.on('unsubscribe', (filters, client) => {
        if (client) listeners.unsubscribe(client.id, filters);
      });
      // A persistent session (clean: false) gets its subscriptions back without any subscribe event.
      aedes.on('clientReady', (client) => {
        if (client.clean) return;
        const restored = Object.keys(
          (client as unknown as { subscriptions?: Record<string, unknown> }).subscriptions ?? {},
        );
        if (restored.length > 0) listeners.subscribe(client.id, restored);
      });
      aedes.on('clientDisconnect', (client) => listeners.disconnect(client.id));
    },
    close() {
      closing ??= (async () => {
        const serversClosed = Promise.all([
          new Promise<void>((r) => tcp.close(() => r())),
          new Promise<void>((r) => http.close(() => r())),
        ]);
        // Let what was already published (the offline status, the stopped states) reach clients:
        // end each connection after its pending writes instead of destroying it, for a moment.
        const ended = [...sockets].map((socket) => new Promise<void>((r) => socket.end(r)));
        const wsClosed = [...wss.clients].map(
          (ws) => new Promise<void>((r) => ws.once('close', () => r()).close(1001, 'server shutting down')),
        );
        await Promise.race([
          Promise.all([...ended, ...wsClosed]),
          new Promise((r) => setTimeout(r, CLOSE_GRACE_MS).unref()),
        ]);
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        http.closeAllConnections();
        await new Promise<void>((resolve) => aedes.close(() => resolve()));
        await serversClosed;
        log.info('MQTT broker closed');
      })();
      return closing;
    },
  };
}
