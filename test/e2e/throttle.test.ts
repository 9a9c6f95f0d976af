import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator } from '../../simulator/index.js';
import type { DataServer } from '../../src/runtime/index.js';
import { RecordingClient } from '../helpers/mqtt.js';
import { startTestServer } from '../helpers/server.js';
import { statusHistory, waitForStatus } from '../helpers/upstream.js';

const THROTTLED = 'Connection throttling enabled, your messages will be ignored.';

/**
 * Blockchain.com's connection-wide rejection end to end: a real simulator throttling the
 * connection, a real server, a real MQTT client. The venue ignores the connection from then on,
 * so the connector must drop it and come back after the backoff delay, as after a lost one.
 */
describe('a throttled upstream connection is dropped and reopened', () => {
  const open: Array<{ close(): Promise<void> } | DataServer> = [];
  afterEach(async () => {
    for (const thing of open.reverse()) await ('stop' in thing ? thing.stop() : thing.close());
    open.length = 0;
  });

  it('goes through backoff to subscribed, and trades arrive once each', async () => {
    const sim = await startSimulator({ port: 0, rate: 50 });
    open.push(sim);
    const server = await startTestServer(sim.url);
    open.push(server);
    const client = await RecordingClient.connect(`mqtt://127.0.0.1:${server.broker.port}`);
    open.push(client);
    await client.subscribe('status/blockchain', 'events/blockchain');
    await waitForStatus(client, (s) => s.state === 'subscribed', 'the connector connected');

    sim.fault({ kind: 'throttle' });
    const from = client.mark();
    await client.subscribe('trades/blockchain/BTC-USD');

    const backoff = await waitForStatus(client, (s) => s.state === 'backoff', 'status backoff', from);
    expect(backoff).toMatchObject({ lastError: THROTTLED });
    const lost = await client.waitFor(
      (m) => m.topic === 'events/blockchain' && client.json(m).method === 'connection.lost',
      'connection.lost',
      from,
    );
    expect(client.json(lost).params).toMatchObject({ source: 'blockchain', reason: THROTTLED });
    await waitForStatus(client, (s) => s.symbols['BTC-USD'] === 'subscribed', 'BTC-USD subscribed', from);

    const isTrade = (m: { topic: string }) => m.topic === 'trades/blockchain/BTC-USD';
    await client.waitForCount(isTrade, 20, 'BTC-USD trades after the reconnect', from);
    const ids = client.messages.filter(isTrade).map((m) => client.json<{ tradeId: string }>(m).tradeId);
    expect(new Set(ids).size).toBe(ids.length);

    // Through backoff, never stuck in subscribing: the states it went through, in order.
    const states = statusHistory(client, from).map((s) => s.state);
    expect(states.indexOf('backoff')).toBeGreaterThan(-1);
    expect(states.lastIndexOf('subscribed')).toBeGreaterThan(states.indexOf('backoff'));
    expect(sim.status().counters.connectionsThrottled).toBe(1);
  });
});
