import { afterEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../simulator/index.js';
import { createServer, type DataServer } from '../../src/runtime/index.js';
import type { MachinePayload } from '../../src/runtime/machine-topics.js';
import { type Received, RecordingClient } from '../helpers/mqtt.js';
import { FAST_BACKOFF, loopbackConfig, silentLogger } from '../helpers/server.js';

const ADMIN = 's3cret-admin';

/**
 * Interface B end to end: a real simulator, a real server and real MQTT clients reading the
 * retained `machines/{actorId}` topics, with faults and source changes driven from outside.
 */
describe('retained machines/{actorId} topics', () => {
  const open: Array<{ close(): Promise<void> } | DataServer> = [];
  afterEach(async () => {
    for (const thing of open.reverse()) await ('stop' in thing ? thing.stop() : thing.close());
    open.length = 0;
  });

  const source = (id: string, url: string) => ({
    id,
    kind: 'blockchain',
    url,
    symbols: ['BTC-USD', 'ETH-USD'],
    backoff: FAST_BACKOFF,
    lingerMs: 0,
  });

  async function setup() {
    const sim: Simulator = await startSimulator({ port: 0, rate: 50 });
    open.push(sim);
    const server = await createServer(
      loopbackConfig([source('blockchain', sim.url)], { adminToken: ADMIN }),
      silentLogger,
    );
    open.push(server);
    const connect = async () => {
      const client = await RecordingClient.connect(`mqtt://127.0.0.1:${server.broker.port}`);
      open.push(client);
      return client;
    };
    const watcher = await connect();
    await watcher.subscribe('machines/#');
    await waitForMachine(watcher, 'blockchain', (p) => p.states.includes('session.subscribed'), 'connected');
    const admin = (method: string, path: string, body?: unknown) =>
      fetch(`http://127.0.0.1:${server.httpPort}${path}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    return { sim, server, watcher, connect, admin };
  }

  const payloadOf = (m: Received): MachinePayload => JSON.parse(m.payload) as MachinePayload;

  /** The first `machines/{id}` payload from message `from` on that satisfies `predicate`. */
  async function waitForMachine(
    client: RecordingClient,
    id: string,
    predicate: (p: MachinePayload) => boolean,
    what: string,
    from = 0,
  ): Promise<MachinePayload & { index: number }> {
    const m = await client.waitFor(
      (x) => x.topic === `machines/${id}` && x.payload !== '' && predicate(payloadOf(x)),
      `machines/${id}: ${what}`,
      from,
    );
    return { ...payloadOf(m), index: m.index };
  }

  it('gives a late subscriber the retained state of the supervisor, the refcount actor and each connector', async () => {
    const { connect } = await setup();
    const late = await connect();
    await late.subscribe('machines/#');
    const retained = await late.waitForCount((m) => m.retain, 3, 'three retained machines/ payloads');
    const byTopic = Object.fromEntries(retained.map((m) => [m.topic, payloadOf(m)]));
    expect(Object.keys(byTopic).sort()).toEqual([
      'machines/blockchain',
      'machines/subscriptions',
      'machines/supervisor',
    ]);
    for (const p of Object.values(byTopic)) {
      expect(Object.keys(p).sort()).toEqual([
        'actorId',
        'at',
        'context',
        'machine',
        'states',
        'status',
        'value',
      ]);
      expect(new Date(p.at).toISOString()).toBe(p.at);
      expect(p.status).toBe('active');
    }
    expect(byTopic['machines/supervisor']).toMatchObject({
      actorId: 'supervisor',
      machine: 'supervisor',
      value: 'running',
      states: ['running'],
      context: { sources: ['blockchain'], demand: { blockchain: [] }, restarts: {} },
    });
    expect(byTopic['machines/subscriptions']).toMatchObject({
      actorId: 'subscriptions',
      machine: 'subscriptions',
      value: 'counting',
      states: ['counting'],
      context: { demand: { blockchain: [] }, clients: 0 },
    });
    const connector = byTopic['machines/blockchain']!;
    expect(connector).toMatchObject({
      actorId: 'blockchain',
      machine: 'connector',
      value: { session: 'subscribed' },
      states: ['session', 'session.subscribed'],
    });
    expect(Object.keys(connector.context as object).sort()).toEqual([
      'attempt',
      'kind',
      'lastError',
      'nextRetryAt',
      'retryDelayMs',
      'sessions',
      'source',
      'symbols',
    ]);
    expect(connector.context).toMatchObject({
      source: 'blockchain',
      kind: 'blockchain',
      symbols: { 'BTC-USD': 'idle', 'ETH-USD': 'idle' },
    });
  });

  it('follows a subscribing client in machines/subscriptions, and publishes nothing per trade', async () => {
    const { watcher, connect } = await setup();
    const from = watcher.mark();
    const client = await connect();
    await client.subscribe('trades/blockchain/ETH-USD');
    await waitForMachine(
      watcher,
      'subscriptions',
      (p) =>
        JSON.stringify(p.context) === JSON.stringify({ demand: { blockchain: ['ETH-USD'] }, clients: 1 }),
      'ETH-USD demanded by one client',
      from,
    );
    await waitForMachine(
      watcher,
      'supervisor',
      (p) => JSON.stringify((p.context as { demand: unknown }).demand) === '{"blockchain":["ETH-USD"]}',
      'demand routed',
      from,
    );
    const subscribed = await waitForMachine(
      watcher,
      'blockchain',
      (p) => (p.context as { symbols: Record<string, string> }).symbols['ETH-USD'] === 'subscribed',
      'ETH-USD subscribed upstream',
      from,
    );
    const steady = watcher.mark();
    expect(subscribed.index).toBeLessThan(steady);
    await client.waitForCount((m) => m.topic === 'trades/blockchain/ETH-USD', 30, 'ETH-USD trades');
    expect(watcher.messages.slice(steady).map((m) => m.topic)).toEqual([]);

    const left = watcher.mark();
    await client.close();
    await waitForMachine(
      watcher,
      'subscriptions',
      (p) => JSON.stringify(p.context) === JSON.stringify({ demand: { blockchain: [] }, clients: 0 }),
      'nothing demanded once the client left',
      left,
    );
  });

  it('moves machines/{source} through a reconnect state and back to session.subscribed on an abrupt drop', async () => {
    const { sim, watcher, connect } = await setup();
    const client = await connect();
    await client.subscribe('trades/blockchain/BTC-USD');
    await waitForMachine(
      watcher,
      'blockchain',
      (p) => (p.context as { symbols: Record<string, string> }).symbols['BTC-USD'] === 'subscribed',
      'BTC-USD subscribed',
    );
    const before = watcher.mark();
    sim.fault({ kind: 'abrupt' });
    const reconnecting = await waitForMachine(
      watcher,
      'blockchain',
      (p) =>
        p.states.includes('backoff') ||
        p.states.includes('session.connecting') ||
        p.states.includes('session.resubscribing'),
      'a reconnect state',
      before,
    );
    const back = await waitForMachine(
      watcher,
      'blockchain',
      (p) =>
        p.states.includes('session.subscribed') &&
        (p.context as { symbols: Record<string, string> }).symbols['BTC-USD'] === 'subscribed',
      'session.subscribed again with BTC-USD',
      reconnecting.index + 1,
    );
    expect(back.states).toEqual(['session', 'session.subscribed']);
    expect(back.context).toMatchObject({ sessions: 2, lastError: expect.any(String) });
    // The backoff state, when seen, says when the next try is.
    const backoff = watcher.messages
      .slice(before)
      .filter((m) => m.topic === 'machines/blockchain')
      .map(payloadOf)
      .find((p) => p.value === 'backoff');
    if (backoff)
      expect((backoff.context as { nextRetryAt: unknown }).nextRetryAt).toEqual(expect.any(String));
  });

  it('gives a source added over HTTP its topic, and clears it when the source is removed', async () => {
    const { sim, watcher, admin, connect } = await setup();
    const from = watcher.mark();
    const added = await admin('POST', '/api/sources', source('extra', sim.url));
    expect(added.status).toBe(201);
    await waitForMachine(watcher, 'extra', (p) => p.states.includes('session.subscribed'), 'connected', from);
    await waitForMachine(
      watcher,
      'supervisor',
      (p) => JSON.stringify((p.context as { sources: unknown }).sources) === '["blockchain","extra"]',
      'both sources listed',
      from,
    );

    const removing = watcher.mark();
    const removed = await admin('DELETE', '/api/sources/extra');
    expect(removed.status).toBe(200);
    const cleared = await watcher.waitFor(
      (m) => m.topic === 'machines/extra' && m.payload === '',
      'machines/extra cleared',
      removing,
    );
    const finals = watcher.messages
      .slice(removing, cleared.index)
      .filter((m) => m.topic === 'machines/extra')
      .map(payloadOf);
    expect(finals.at(-1)).toMatchObject({ value: 'stopped', states: ['stopped'], status: 'done' });
    await waitForMachine(
      watcher,
      'supervisor',
      (p) => JSON.stringify((p.context as { sources: unknown }).sources) === '["blockchain"]',
      'only blockchain listed',
      removing,
    );

    // A late subscriber gets no retained machines/extra: asked for first, it would come before the supervisor's.
    const late = await connect();
    await late.subscribe('machines/extra');
    await late.subscribe('machines/supervisor');
    await late.waitFor((m) => m.topic === 'machines/supervisor', 'the retained supervisor');
    expect(late.messages.filter((m) => m.topic === 'machines/extra')).toEqual([]);
  });

  it('refuses a source whose id is another actor of machines/', async () => {
    const { sim, admin } = await setup();
    for (const id of ['supervisor', 'subscriptions']) {
      const res = await admin('POST', '/api/sources', source(id, sim.url));
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: string; key: string };
      expect(body.key).toBe('id');
      expect(body.error).toContain('reserved');
    }
  });
});
