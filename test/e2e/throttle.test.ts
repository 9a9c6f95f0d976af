import { afterEach, describe, expect, it } from 'vitest';
import { type Fault, type Simulator, startSimulator } from '../../simulator/index.js';
import type { DataServer } from '../../src/runtime/index.js';
import { RecordingClient } from '../helpers/mqtt.js';
import { startTestServer } from '../helpers/server.js';
import { statusHistory, waitForStatus } from '../helpers/upstream.js';

const ACK_TIMEOUT_MS = 500;

/**
 * A venue that stops answering subscribe requests, end to end: a real simulator, a real server, a
 * real MQTT client. Throttled (Blockchain.com's connection-wide rejection, after which the venue
 * ignores the connection) or muted (the request never answered while heartbeats keep the socket
 * alive, caught by `ackTimeoutMs`), the connector must drop the connection and come back after the
 * backoff delay, as after a lost one.
 */
const cases: Array<{ name: string; fault: Fault; lastError: string; claimed: (sim: Simulator) => number }> = [
  {
    name: 'a throttled upstream connection',
    fault: { kind: 'throttle' },
    lastError: 'Connection throttling enabled, your messages will be ignored.',
    claimed: (sim) => sim.status().counters.connectionsThrottled,
  },
  {
    name: 'a subscribe request left unanswered for ackTimeoutMs',
    fault: { kind: 'mute' },
    lastError: `no answer to subscribe within ${ACK_TIMEOUT_MS} ms`,
    claimed: (sim) => sim.status().counters.subscribesMuted,
  },
];

describe.each(cases)('$name: the connection is dropped and reopened', ({ fault, lastError, claimed }) => {
  const open: Array<{ close(): Promise<void> } | DataServer> = [];
  afterEach(async () => {
    for (const thing of open.reverse()) await ('stop' in thing ? thing.stop() : thing.close());
    open.length = 0;
  });

  it('goes through backoff to subscribed, and trades arrive once each', async () => {
    const sim = await startSimulator({ port: 0, rate: 50 });
    open.push(sim);
    const server = await startTestServer(sim.url, { ackTimeoutMs: ACK_TIMEOUT_MS });
    open.push(server);
    const client = await RecordingClient.connect(`mqtt://127.0.0.1:${server.broker.port}`);
    open.push(client);
    await client.subscribe('status/blockchain', 'events/blockchain');
    await waitForStatus(client, (s) => s.state === 'subscribed', 'the connector connected');

    sim.fault(fault);
    const from = client.mark();
    await client.subscribe('trades/blockchain/BTC-USD');

    const backoff = await waitForStatus(client, (s) => s.state === 'backoff', 'status backoff', from);
    expect(backoff).toMatchObject({ lastError });
    const lost = await client.waitFor(
      (m) => m.topic === 'events/blockchain' && client.json(m).method === 'connection.lost',
      'connection.lost',
      from,
    );
    expect(client.json(lost).params).toMatchObject({ source: 'blockchain', reason: lastError });
    await waitForStatus(client, (s) => s.symbols['BTC-USD'] === 'subscribed', 'BTC-USD subscribed', from);

    const isTrade = (m: { topic: string }) => m.topic === 'trades/blockchain/BTC-USD';
    await client.waitForCount(isTrade, 20, 'BTC-USD trades after the reconnect', from);
    const ids = client.messages.filter(isTrade).map((m) => client.json<{ tradeId: string }>(m).tradeId);
    expect(new Set(ids).size).toBe(ids.length);

    // Through backoff, never stuck in subscribing: the states it went through, in order.
    const states = statusHistory(client, from).map((s) => s.state);
    expect(states.indexOf('subscribing')).toBeGreaterThan(-1);
    expect(states.indexOf('backoff')).toBeGreaterThan(states.indexOf('subscribing'));
    expect(states.lastIndexOf('subscribed')).toBeGreaterThan(states.indexOf('backoff'));
    expect(claimed(sim)).toBe(1);
  });
});
