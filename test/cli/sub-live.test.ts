import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../simulator/index.js';
import { type SessionFlags, type SubSession, startSubSession } from '../../src/cli/sub-session.js';
import type { DataServer } from '../../src/runtime/index.js';
import { RecordingClient } from '../helpers/mqtt.js';
import { startTestServer } from '../helpers/server.js';
import { isState, Recorder, recordingSink, type SinkItem } from './sub-helpers.js';

/**
 * The `sub` session in-process against a real server fed by the real simulator. What the server
 * saw is read from its broker's client events and from the retained `status/blockchain` demand
 * (linger 0: the last holder leaving makes the symbols idle), and an abrupt close from the MQTT
 * will (MQTT-3.1.2-8: published only when the connection ends without DISCONNECT).
 */
describe('sub against a real server', () => {
  let sim: Simulator;
  let server: DataServer;
  let watcher: RecordingClient;
  let broker: Recorder<{ event: 'ready' | 'gone'; id: string }>;
  const sessions: SubSession[] = [];

  beforeEach(async () => {
    sim = await startSimulator({ port: 0, rate: 50 });
    server = await startTestServer(sim.url);
    broker = new Recorder();
    server.broker.aedes.on('clientReady', (c) => broker.push({ event: 'ready', id: c.id }));
    server.broker.aedes.on('clientDisconnect', (c) => broker.push({ event: 'gone', id: c.id }));
    // Not a trade holder itself: it only watches status and wills.
    watcher = await RecordingClient.connect(tcp());
    await watcher.subscribe('status/blockchain', 'test/will/#');
  });
  afterEach(async () => {
    for (const s of sessions.splice(0)) await s.quit();
    await watcher?.close();
    await server?.stop();
    await sim?.close();
  });

  function tcp(): string {
    return `mqtt://127.0.0.1:${server.broker.port}`;
  }

  function start(flags: Partial<SessionFlags> = {}, reconnectMs = 300) {
    const { sink, rec } = recordingSink();
    const clientId = `sub-test-${sessions.length}-${Date.now()}`;
    const session = startSubSession({
      flags: {
        url: tcp(),
        username: undefined,
        password: undefined,
        source: '+',
        symbols: [],
        history: 0,
        ...flags,
      },
      sink,
      clientId,
      reconnectMs,
      mqtt: { will: { topic: `test/will/${clientId}`, payload: Buffer.from('gone'), qos: 0, retain: false } },
    });
    sessions.push(session);
    return { session, rec };
  }

  const isTrade = (symbol?: string) => (i: SinkItem) =>
    i.kind === 'trade' && !i.history && (symbol === undefined || i.trade.symbol === symbol);

  /** The demand the server holds for BTC-USD, as its retained status says, from watcher message `from` on. */
  const demand = (state: 'idle' | 'subscribed', from: number) =>
    watcher.waitFor(
      (m) =>
        m.topic === 'status/blockchain' &&
        watcher.json<{ symbols: Record<string, string> }>(m).symbols['BTC-USD'] === state,
      `BTC-USD ${state} upstream`,
      from,
    );

  const willOf = (id: string) => (m: { topic: string }) => m.topic === `test/will/${id}`;

  /** No will of `id` arrived before a marker published now on its topic (the broker keeps order). */
  async function expectNoWill(id: string) {
    const from = watcher.mark();
    await watcher.client.publishAsync(`test/will/${id}`, 'marker');
    await watcher.waitFor((m) => willOf(id)(m) && m.payload === 'marker', 'the marker', from);
    expect(watcher.messages.filter((m) => willOf(id)(m) && m.payload === 'gone')).toEqual([]);
  }

  it('shows live trades and source statuses, over TCP and WebSocket', async () => {
    const { rec } = start();
    await rec.waitFor(isState('connected'), 'connected');
    await rec.waitForCount(isTrade('BTC-USD'), 5, 'BTC-USD trades');
    await rec.waitForCount(isTrade('ETH-USD'), 5, 'ETH-USD trades');
    await rec.waitFor(
      (i) => i.kind === 'status' && i.status?.state === 'subscribed' && i.source === 'blockchain',
      'status subscribed',
    );
    const ws = start({ url: `ws://127.0.0.1:${server.broker.wsPort}/mqtt`, symbols: ['ETH-USD'] });
    const got = await ws.rec.waitForCount(isTrade(), 3, 'trades over WebSocket');
    expect(got.map((i) => i.kind === 'trade' && i.trade.symbol)).toEqual(['ETH-USD', 'ETH-USD', 'ETH-USD']);
  });

  it('--history: stored trades oldest first, then live, with no trade twice and none missing', async () => {
    const feed = await RecordingClient.connect(tcp());
    await feed.subscribe('trades/blockchain/BTC-USD');
    await feed.waitForCount(() => true, 20, 'trades stored first');
    const { rec } = start({ history: 10, symbols: ['BTC-USD'], source: 'blockchain' });
    const history = await rec.waitForCount((i) => i.kind === 'trade' && i.history, 10, 'history');
    await rec.waitForCount(isTrade(), 20, 'live trades after the history');
    const shown = rec.items.flatMap((i) => (i.kind === 'trade' ? [i.trade.tradeId] : []));
    expect(new Set(shown).size).toBe(shown.length);
    expect(shown.slice(0, 10)).toEqual(history.map((i) => (i.kind === 'trade' ? i.trade.tradeId : '')));
    // What the feed saw from its subscription on is the truth: `sub` shows a gapless stretch of it.
    await feed.waitFor((m) => m.payload.includes(`"tradeId":"${shown.at(-1)}"`), 'the feed caught up');
    const truth = feed.messages.map((m) => feed.json<{ tradeId: string }>(m).tradeId);
    const start0 = truth.indexOf(shown[0] as string);
    expect(start0).toBeGreaterThanOrEqual(0);
    expect(truth.slice(start0, start0 + shown.length)).toEqual(shown);
    await feed.close();
  });

  it('a: the broker sees an abrupt close (will published), demand drops, and the client comes back', async () => {
    const { session, rec } = start();
    await rec.waitForCount(isTrade('BTC-USD'), 3, 'trades before');
    await demand('subscribed', 0);
    const w = watcher.mark();
    const b = broker.mark();
    const r = rec.mark();
    session.command('a');
    await watcher.waitFor(willOf(session.clientId), 'the will of an abruptly closed client', w);
    await broker.waitFor(
      (e) => e.event === 'gone' && e.id === session.clientId,
      'the broker lost the client',
      b,
    );
    const idle = await demand('idle', w);
    const paused = await rec.waitFor(isState('paused'), 'paused', r);
    expect(paused).toMatchObject({ connection: { how: 'abrupt' } });
    await broker.waitFor((e) => e.event === 'ready' && e.id === session.clientId, 'the client back', b);
    await demand('subscribed', idle.index + 1);
    const back = rec.items.findIndex((i, k) => k >= r && isState('connected')(i));
    await rec.waitFor(isTrade('BTC-USD'), 'trades again', back);
  });

  it('a over WebSocket: an abrupt close there too, and back', async () => {
    const { session, rec } = start({ url: `ws://127.0.0.1:${server.broker.wsPort}/mqtt` });
    await rec.waitFor(isTrade(), 'a trade');
    const w = watcher.mark();
    const b = broker.mark();
    session.command('a');
    await watcher.waitFor(willOf(session.clientId), 'the will of an abruptly closed client', w);
    await broker.waitFor((e) => e.event === 'ready' && e.id === session.clientId, 'the client back', b);
  });

  it('g: a graceful DISCONNECT (no will), the server releases the demand, then the client is back', async () => {
    const { session, rec } = start();
    await rec.waitForCount(isTrade(), 3, 'trades before');
    await demand('subscribed', 0);
    const w = watcher.mark();
    const b = broker.mark();
    const r = rec.mark();
    session.command('g');
    await broker.waitFor(
      (e) => e.event === 'gone' && e.id === session.clientId,
      'the broker lost the client',
      b,
    );
    const idle = await demand('idle', w);
    expect(await rec.waitFor(isState('paused'), 'paused', r)).toMatchObject({
      connection: { how: 'graceful' },
    });
    await broker.waitFor((e) => e.event === 'ready' && e.id === session.clientId, 'the client back', b);
    await demand('subscribed', idle.index + 1);
    const back = await rec.waitFor(isState('connected'), 'connected again', r);
    await rec.waitFor(isTrade(), 'trades again', rec.items.indexOf(back));
    await expectNoWill(session.clientId);
  });

  it('t N: stays away about N seconds, then reconnects by itself', async () => {
    const { session, rec } = start();
    await rec.waitFor(isTrade(), 'a trade');
    const r = rec.mark();
    const before = Date.now();
    session.command('t 0.5');
    const paused = await rec.waitFor(
      (i) =>
        isState('paused')(i) &&
        i.kind === 'connection' &&
        i.connection.state === 'paused' &&
        i.connection.until !== null,
      'paused with a return time',
      r,
    );
    expect(paused).toMatchObject({ connection: { how: 'drop' } });
    await watcher.waitFor(willOf(session.clientId), 'the will (a drop is abrupt)');
    await rec.waitFor(isState('connected'), 'connected again', r);
    expect(Date.now() - before).toBeGreaterThanOrEqual(450);
  });

  it('q: a clean quit, exit code 0', async () => {
    const { session, rec } = start();
    await rec.waitFor(isTrade(), 'a trade');
    const b = broker.mark();
    session.command('q');
    expect(await session.done).toBe(0);
    await broker.waitFor(
      (e) => e.event === 'gone' && e.id === session.clientId,
      'the broker lost the client',
      b,
    );
    expect(rec.items.at(-1)).toEqual({ kind: 'connection', connection: { state: 'closed' } });
    await expectNoWill(session.clientId);
  });

  it('bad commands are told, not acted on', async () => {
    const { session, rec } = start();
    await rec.waitFor(isState('connected'), 'connected');
    session.command('t banana');
    await rec.waitFor((i) => i.kind === 'notice' && i.level === 'error', 'an error notice');
    expect(rec.items.some(isState('paused'))).toBe(false);
  });
});
