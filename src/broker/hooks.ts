import type { AedesOptions, AuthenticateError, Client } from 'aedes';
import type { Logger } from 'pino';
import { clientMayPublish, clientMaySubscribe, mayReceive } from './acl.js';

export interface BrokerLimits {
  maxConnections: number;
  maxSubscriptionsPerClient: number;
  maxPacketBytes: number;
  /** Bytes written to a client but not yet sent: above this the client is disconnected at once. */
  maxClientBacklogBytes: number;
  /** A client whose socket stays full (no 'drain') this long is disconnected by Aedes. */
  drainTimeoutMs: number;
}

/** Optional authentication (see auth.ts): who may connect, and what each user may read. */
export interface BrokerAuth {
  authenticate: NonNullable<AedesOptions['authenticate']>;
  canSubscribe(client: Client, filter: string): boolean;
}

/** Refusals, by kind; plain counters the metrics read. */
export interface BrokerStats {
  refusedPublishes: number;
  refusedSubscriptions: number;
  refusedConnections: number;
  oversizedPackets: number;
  rpcRequests: number;
  /** Clients disconnected because their unsent backlog passed `maxClientBacklogBytes`. */
  slowConsumers: number;
}

export const newBrokerStats = (): BrokerStats => ({
  refusedPublishes: 0,
  refusedSubscriptions: 0,
  refusedConnections: 0,
  oversizedPackets: 0,
  rpcRequests: 0,
  slowConsumers: 0,
});

// CONNACK return code 3 (MQTT-3.2.2.3): the server cannot take the connection now.
const SERVER_UNAVAILABLE = 3;

/** The Aedes hooks that enforce the ACL (acl.ts), the limits and, when configured, authentication. */
export function brokerHooks(options: {
  limits: BrokerLimits;
  auth: BrokerAuth | undefined;
  stats: BrokerStats;
  logger: Logger;
  connectedClients: () => number;
}): Pick<AedesOptions, 'authenticate' | 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward'> {
  const { limits, auth, stats, logger: log } = options;
  const cut = new WeakSet<Client>();
  const dropSlowConsumer = (client: Client, conn: { destroy(err: Error): void }): void => {
    if (cut.has(client)) return;
    cut.add(client);
    stats.slowConsumers++;
    log.warn(
      { clientId: client.id, maxClientBacklogBytes: limits.maxClientBacklogBytes },
      'slow consumer disconnected: unsent backlog over the limit',
    );
    // Its backlog is discarded, not flushed, as Aedes' own drain timeout does; not inside Aedes'
    // delivery loop, so on the next turn. One error object for every write still buffered:
    // without one, Node makes an Error (with a stack) per buffered chunk, a stall of ~0.5 s
    // for everyone at a backlog of a few MB.
    setImmediate(() =>
      conn.destroy(new Error(`slow consumer: over ${limits.maxClientBacklogBytes} bytes unsent`)),
    );
  };
  return {
    authenticate: (client, username, password, done) => {
      if (options.connectedClients() >= limits.maxConnections) {
        stats.refusedConnections++;
        log.warn(
          { clientId: client.id, maxConnections: limits.maxConnections },
          'connection refused: limit reached',
        );
        const err = new Error('too many connections') as AuthenticateError;
        err.returnCode = SERVER_UNAVAILABLE;
        done(err, false);
        return;
      }
      if (auth) auth.authenticate(client, username, password, done);
      else done(null, true);
    },
    // A refused publish is dropped, not answered with a disconnect: MQTT 3.1.1 has no refusal
    // code, and a client that gets a topic wrong should lose the message, not its session.
    authorizePublish: (client, packet, callback) => {
      if (client) {
        const verdict = clientMayPublish(client.id, packet.topic);
        if (verdict !== 'allow') {
          stats.refusedPublishes++;
          log.debug({ clientId: client.id, topic: packet.topic, verdict }, 'dropped client publish');
          // Never let it replace a retained message; mayReceive keeps it from every subscriber.
          packet.retain = false;
        }
      }
      callback(null);
    },
    authorizeSubscribe: (client, subscription, callback) => {
      const filter = subscription.topic;
      // Aedes keeps a client's live subscriptions by filter; its type declarations omit the field.
      const held = (client as unknown as { subscriptions?: Record<string, unknown> }).subscriptions ?? {};
      const tooMany = Object.keys(held).length >= limits.maxSubscriptionsPerClient && !(filter in held);
      const allowed =
        !tooMany && clientMaySubscribe(client.id, filter) && (auth?.canSubscribe(client, filter) ?? true);
      if (!allowed) {
        stats.refusedSubscriptions++;
        log.debug({ clientId: client.id, filter, tooMany }, 'subscription refused');
      }
      // null negates it: SUBACK 0x80 for this filter, the client stays connected.
      callback(null, allowed ? subscription : null);
    },
    // Per delivery, so cheap: server publishes (no clientId) of trades pass at the first test.
    // (Aedes sets `clientId` on packets a client published; its type declarations omit it.)
    authorizeForward: (client, packet) => {
      // A subscriber that stops reading must not hold everyone else back: Aedes would make
      // every publish wait for its 'drain'. Past its backlog it gets nothing more and is cut.
      // (Aedes' type declarations omit the client's connection stream.)
      const conn = (client as unknown as { conn?: { writableLength?: number; destroy(err: Error): void } })
        .conn;
      if (conn && (conn.writableLength ?? 0) > limits.maxClientBacklogBytes) {
        dropSlowConsumer(client, conn);
        return null;
      }
      const publisher = (packet as { clientId?: string }).clientId;
      return mayReceive(client.id, packet.topic, publisher) ? packet : null;
    },
  };
}
