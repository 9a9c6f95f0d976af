import { afterEach, describe, expect, it, vi } from 'vitest';
import { startSimulator } from '../../simulator/index.js';
import type { DataServer } from '../../src/runtime/index.js';
import { RecordingClient } from '../helpers/mqtt.js';
import { startTestServer } from '../helpers/server.js';
import {
  startLingerServer,
  statusHistory,
  upstreamConnections,
  upstreamSymbols,
  waitForStatus,
  waitForUpstream,
} from '../helpers/upstream.js';

/**
 * CONTRACT §4 end to end: a real simulator, a real server and real MQTT clients (TCP and WebSocket).
 * What the server holds upstream is read from the simulator (`sim.status()`) and from the retained
 * `status/blockchain` payload; every wait is for an observable change, with a deadline.
 */
describe('upstream subscriptions follow MQTT demand', () => {
  const open: Array<{ close(): Promise<void> } | DataServer> = [];
  afterEach(async () => {
    for (const thing of open.reverse()) await ('stop' in thing ? thing.stop() : thing.close());
    open.length = 0;
  });

  const isTrade = (symbol: string) => (m: { topic: string }) => m.topic === `trades/blockchain/${symbol}`;

  /** Simulator, server (linger 0 unless told) and a watcher of `status/blockchain`, once connected. */
  async function setup(lingerMs = 0) {
    const sim = await startSimulator({ port: 0, rate: 50 });
    open.push(sim);
    const server =
      lingerMs === 0 ? await startTestServer(sim.url) : await startLingerServer(sim.url, lingerMs);
    open.push(server);
    const tcpUrl = `mqtt://127.0.0.1:${server.broker.port}`;
    const wsUrl = `ws://127.0.0.1:${server.broker.wsPort}/mqtt`;
    const connect = async (url = tcpUrl, options: Parameters<typeof RecordingClient.connect>[1] = {}) => {
      const client = await RecordingClient.connect(url, options);
      open.push(client);
      return client;
    };
    // Its filters are not trade topics: the watcher itself is no holder.
    const watcher = await connect();
    await watcher.subscribe('status/blockchain', 'dataserver/status');
    await waitForStatus(watcher, (s) => s.state === 'subscribed', 'the connector connected');
    return { sim, server, watcher, connect, tcpUrl, wsUrl };
  }

  /** No churn: the states of `symbol` in every status published from message `from` on, other than subscribed. */
  const churn = (watcher: RecordingClient, from: number, symbol: string) =>
    statusHistory(watcher, from)
      .map((s) => s.symbols[symbol])
      .filter((state) => state !== 'subscribed');

  it('holds only the heartbeat upstream while no client wants trades', async () => {
    const { sim, watcher } = await setup();
    await watcher.subscribe('status/#', 'events/#', 'trades/zzz/#', 'trades/blockchain/DOGE-USD');
    await waitForUpstream(sim, []);
    const status = await waitForStatus(watcher, (s) => s.state === 'subscribed', 'a subscribed status');
    expect(status.symbols).toEqual({ 'BTC-USD': 'idle', 'ETH-USD': 'idle' });
    expect(sim.connections()).toBe(1);
  });

  it('subscribes upstream exactly BTC-USD for trades/+/BTC-USD', async () => {
    const { sim, watcher, connect } = await setup();
    const client = await connect();
    await client.subscribe('trades/+/BTC-USD');
    await waitForUpstream(sim, ['BTC-USD']);
    await waitForStatus(
      watcher,
      (s) => s.symbols['BTC-USD'] === 'subscribed' && s.symbols['ETH-USD'] === 'idle',
      'BTC-USD subscribed, ETH-USD idle',
    );
    await client.waitForCount(isTrade('BTC-USD'), 5, 'BTC-USD trades');
    expect(upstreamSymbols(sim)).toEqual(['BTC-USD']);
  });

  it.each(['trades/#', '#'])('subscribes upstream every symbol for %s', async (filter) => {
    const { sim, watcher, connect } = await setup();
    const client = await connect();
    await client.subscribe(filter);
    await waitForUpstream(sim, ['BTC-USD', 'ETH-USD']);
    await waitForStatus(
      watcher,
      (s) => s.symbols['BTC-USD'] === 'subscribed' && s.symbols['ETH-USD'] === 'subscribed',
      'both symbols subscribed',
    );
    await client.waitFor(isTrade('BTC-USD'), 'a BTC-USD trade');
    await client.waitFor(isTrade('ETH-USD'), 'an ETH-USD trade');
  });

  type Leave = 'unsubscribe' | 'clean disconnect' | 'abrupt close';
  const leave = async (client: RecordingClient, how: Leave, filter: string): Promise<void> => {
    if (how === 'unsubscribe') await client.client.unsubscribeAsync(filter);
    else if (how === 'clean disconnect') await client.client.endAsync();
    // No DISCONNECT packet, no FIN handshake on the MQTT level: the socket just goes.
    else client.client.stream.destroy();
  };
  const LEAVES: Leave[] = ['unsubscribe', 'clean disconnect', 'abrupt close'];

  it.each(LEAVES)('releases the upstream subscription on %s (lingerMs 0)', async (how) => {
    const { sim, watcher, connect } = await setup();
    const client = await connect();
    await client.subscribe('trades/blockchain/ETH-USD');
    await waitForUpstream(sim, ['ETH-USD']);
    await client.waitFor(isTrade('ETH-USD'), 'an ETH-USD trade');
    const from = watcher.mark();
    await leave(client, how, 'trades/blockchain/ETH-USD');
    await waitForUpstream(sim, []);
    await waitForStatus(watcher, (s) => s.symbols['ETH-USD'] === 'idle', 'ETH-USD idle again', from);
  });

  it.each(LEAVES)('waits lingerMs before releasing the upstream subscription on %s', async (how) => {
    const lingerMs = 1000;
    const { sim, connect } = await setup(lingerMs);
    const client = await connect();
    await client.subscribe('trades/blockchain/BTC-USD');
    await waitForUpstream(sim, ['BTC-USD']);
    const left = Date.now();
    await leave(client, how, 'trades/blockchain/BTC-USD');
    await waitForUpstream(sim, []);
    const waited = Date.now() - left;
    // Date.now() has 1 ms resolution on both ends of the measurement.
    expect(waited).toBeGreaterThanOrEqual(lingerMs - 2);
    expect(waited).toBeLessThan(lingerMs + 5000);
  });

  it('keeps the upstream subscription, without churn, when a client comes back within the linger', async () => {
    const lingerMs = 1500;
    const { sim, watcher, connect, tcpUrl } = await setup(lingerMs);
    const first = await connect(tcpUrl, { clientId: 'comes-back' });
    await first.subscribe('trades/blockchain/BTC-USD');
    await waitForUpstream(sim, ['BTC-USD']);
    await waitForStatus(watcher, (s) => s.symbols['BTC-USD'] === 'subscribed', 'BTC-USD subscribed');
    const [connection] = sim.status().connections;
    const from = watcher.mark();

    const dropped = Date.now();
    first.client.stream.destroy();
    const again = await connect(tcpUrl, { clientId: 'comes-back' });
    await again.subscribe('trades/+/BTC-USD');
    expect(Date.now() - dropped).toBeLessThan(lingerMs);

    // Trades arriving well after the linger would have run out: time has passed, observably.
    await again.waitFor((m) => isTrade('BTC-USD')(m) && m.at > dropped + lingerMs + 300, 'a late trade');
    expect(upstreamConnections(sim)).toEqual([['heartbeat', 'trades:BTC-USD']]);
    expect(sim.status().connections[0]?.id).toBe(connection?.id);
    expect(churn(watcher, from, 'BTC-USD')).toEqual([]);
  });

  it('keeps a symbol two clients hold when the first leaves, releases it when the second does', async () => {
    const { sim, server, watcher, connect } = await setup();
    const first = await connect();
    const second = await connect();
    await first.subscribe('trades/blockchain/BTC-USD');
    await second.subscribe('trades/+/BTC-USD');
    await waitForUpstream(sim, ['BTC-USD']);
    await waitForStatus(watcher, (s) => s.symbols['BTC-USD'] === 'subscribed', 'BTC-USD subscribed');
    const from = watcher.mark();

    // The watcher and both holders; the broker reports the first one's leaving before it counts it out.
    expect(server.broker.aedes.connectedClients).toBe(3);
    await first.close();
    await vi.waitFor(() => expect(server.broker.aedes.connectedClients).toBe(2), {
      timeout: 5000,
      interval: 5,
    });
    const gone = Date.now();
    await second.waitForCount((m) => isTrade('BTC-USD')(m) && m.at > gone, 10, 'trades after the first left');
    expect(upstreamSymbols(sim)).toEqual(['BTC-USD']);
    expect(churn(watcher, from, 'BTC-USD')).toEqual([]);

    await second.client.unsubscribeAsync('trades/+/BTC-USD');
    await waitForUpstream(sim, []);
  });

  it('follows demand of MQTT-over-WebSocket clients: subscribe, unsubscribe', async () => {
    const { sim, watcher, connect, wsUrl } = await setup();
    const client = await connect(wsUrl);
    await client.subscribe('trades/+/ETH-USD');
    await waitForUpstream(sim, ['ETH-USD']);
    await waitForStatus(watcher, (s) => s.symbols['ETH-USD'] === 'subscribed', 'ETH-USD subscribed');
    await client.waitFor(isTrade('ETH-USD'), 'an ETH-USD trade over WebSocket');
    await client.client.unsubscribeAsync('trades/+/ETH-USD');
    await waitForUpstream(sim, []);
  });

  it('releases the demand of an MQTT-over-WebSocket client whose socket drops', async () => {
    const { sim, connect, wsUrl } = await setup();
    const client = await connect(wsUrl);
    await client.subscribe('trades/#');
    await waitForUpstream(sim, ['BTC-USD', 'ETH-USD']);
    client.client.stream.destroy();
    await waitForUpstream(sim, []);
  });

  it('hands the demand over when a client with the same clientId takes the session over', async () => {
    const { sim, connect, tcpUrl } = await setup();
    const old = await connect(tcpUrl, { clientId: 'twin' });
    await old.subscribe('trades/blockchain/BTC-USD');
    await waitForUpstream(sim, ['BTC-USD']);
    // MQTT-3.1.4-2: the broker disconnects the old one; the new one's subscription must hold.
    const next = await connect(tcpUrl, { clientId: 'twin' });
    await next.subscribe('trades/blockchain/ETH-USD');
    await waitForUpstream(sim, ['ETH-USD']);
    await next.waitFor(isTrade('ETH-USD'), 'an ETH-USD trade');
  });

  it('restores the demand of a persistent session that reconnects (clean: false)', async () => {
    const { sim, watcher, connect, tcpUrl } = await setup();
    const options = { clientId: 'persistent', clean: false };
    const first = await connect(tcpUrl, options);
    await first.client.subscribeAsync('trades/blockchain/BTC-USD', { qos: 1 });
    await waitForUpstream(sim, ['BTC-USD']);
    await first.close();
    await waitForUpstream(sim, []);

    // The broker keeps the session's subscription: the client is right not to subscribe again.
    const from = watcher.mark();
    const again = await connect(tcpUrl, options);
    // (mqtt.js keeps the CONNACK in a field its type declarations mark private.)
    const connack = (again.client as unknown as { connackPacket?: { sessionPresent?: boolean } })
      .connackPacket;
    expect(connack?.sessionPresent).toBe(true);
    await waitForStatus(
      watcher,
      (s) => s.symbols['BTC-USD'] === 'subscribed',
      'BTC-USD subscribed again',
      from,
      5000,
    );
    await again.waitFor(isTrade('BTC-USD'), 'a BTC-USD trade on the restored session');
    expect(upstreamSymbols(sim)).toEqual(['BTC-USD']);
  });
});
