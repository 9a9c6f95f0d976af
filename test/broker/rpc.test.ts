import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type Simulator, startSimulator } from '../../simulator/index.js';
import { handleRpc, method, RpcErrorCode } from '../../src/broker/index.js';
import type { DataServer } from '../../src/runtime/index.js';
import { RecordingClient } from '../helpers/mqtt.js';
import { startTestServer } from '../helpers/server.js';

/** JSON-RPC 2.0 over MQTT against a real server fed by the real simulator. */
describe('JSON-RPC over MQTT', () => {
  let sim: Simulator;
  let server: DataServer;
  let alice: RecordingClient;
  let ids = 0;

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, rate: 100 });
    server = await startTestServer(sim.url, { alwaysOn: true });
    alice = await RecordingClient.connect(`mqtt://127.0.0.1:${server.broker.port}`, { clientId: 'alice' });
    await alice.subscribe('rpc/alice/response', 'trades/blockchain/BTC-USD');
    await alice.waitForCount((m) => m.topic.startsWith('trades/'), 30, 'some stored trades');
  });
  afterAll(async () => {
    await alice?.close();
    await server?.stop();
    await sim?.close();
  });

  /** Sends a raw request text as alice and returns the parsed response. */
  async function call(body: string | object, id = ++ids): Promise<Record<string, unknown>> {
    const from = alice.mark();
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    await alice.client.publishAsync('rpc/alice/request', text);
    const m = await alice.waitFor(
      (x) => x.topic === 'rpc/alice/response' && (typeof body === 'string' || alice.json(x).id === id),
      `response ${id}`,
      from,
    );
    return alice.json(m);
  }
  const request = (methodName: string, params?: unknown, id = ++ids) =>
    call({ jsonrpc: '2.0', method: methodName, ...(params === undefined ? {} : { params }), id }, id);

  it('trades.recent returns stored trades newest first, as many as asked', async () => {
    const res = await request('trades.recent', { symbol: 'BTC-USD', count: 5 });
    const trades = res.result as Array<{ tradeId: string; symbol: string; source: string }>;
    expect(trades).toHaveLength(5);
    expect(trades.every((t) => t.symbol === 'BTC-USD' && t.source === 'blockchain')).toBe(true);
    const published = alice.messages
      .filter((m) => m.topic === 'trades/blockchain/BTC-USD')
      .map((m) => alice.json(m).tradeId);
    // Newest first: each returned trade was published after the next one.
    const positions = trades.map((t) => published.indexOf(t.tradeId));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => b - a)).toEqual(positions);
  });

  it('trades.recent honours before/after on the venue timestamp', async () => {
    const all = (await request('trades.recent', { symbol: 'BTC-USD', count: 20 })).result as Array<{
      timestamp: string;
    }>;
    const pivot = all[10]?.timestamp as string;
    const older = (await request('trades.recent', { symbol: 'BTC-USD', before: pivot })).result as Array<{
      timestamp: string;
    }>;
    expect(older.length).toBeGreaterThan(0);
    expect(older.every((t) => Date.parse(t.timestamp) < Date.parse(pivot))).toBe(true);
    const newer = (await request('trades.recent', { symbol: 'BTC-USD', after: pivot })).result as Array<{
      timestamp: string;
    }>;
    expect(newer.every((t) => Date.parse(t.timestamp) > Date.parse(pivot))).toBe(true);
  });

  it('sources.list and status.get describe the sources', async () => {
    const list = (await request('sources.list')).result;
    expect(list).toEqual([
      {
        id: 'blockchain',
        kind: 'blockchain',
        symbols: ['BTC-USD', 'ETH-USD'],
        alwaysOn: true,
        state: 'subscribed',
      },
    ]);
    const one = (await request('status.get', { source: 'blockchain' })).result;
    expect(one).toMatchObject({ source: 'blockchain', state: 'subscribed' });
    const all = (await request('status.get', {})).result;
    expect(Object.keys(all as object)).toEqual(['blockchain']);
  });

  it('answers each kind of bad request with its standard error code and says what was wrong', async () => {
    const error = (r: Record<string, unknown>) => r.error as { code: number; message: string; data: string };
    const parse = await call('{"jsonrpc":"2.0", nope');
    expect(error(parse)).toMatchObject({ code: -32700, message: 'Parse error' });
    expect(parse.id).toBeNull();
    const invalid = await call({ jsonrpc: '1.0', method: 'sources.list', id: 901 }, 901);
    expect(error(invalid)).toMatchObject({ code: -32600, data: expect.stringContaining('jsonrpc') });
    const batch = await call('[{"jsonrpc":"2.0","method":"sources.list","id":1}]');
    expect(error(batch)).toMatchObject({ code: -32600, data: expect.stringContaining('batch') });
    const missing = await request('trades.everything');
    expect(error(missing)).toMatchObject({
      code: -32601,
      data: expect.stringContaining('trades.everything'),
    });
    const badCount = await request('trades.recent', { symbol: 'BTC-USD', count: 5000 });
    expect(error(badCount)).toMatchObject({ code: -32602, data: expect.stringContaining('count') });
    const badSource = await request('trades.recent', { symbol: 'BTC-USD', source: 'nowhere' });
    expect(error(badSource)).toMatchObject({ code: -32602, data: expect.stringContaining('nowhere') });
    const unknownParam = await request('trades.recent', { symbol: 'BTC-USD', limit: 3 });
    expect(error(unknownParam)).toMatchObject({ code: -32602, data: expect.stringContaining('limit') });
  });

  it('keeps a client out of another client’s rpc topics', async () => {
    const mallory = await RecordingClient.connect(`mqtt://127.0.0.1:${server.broker.port}`, {
      clientId: 'mallory',
    });
    try {
      // SUBACK 0x80 for both: mqtt.js reports it as a failed subscribe carrying the SUBACK.
      const refused = await mallory.client
        .subscribeAsync(['rpc/alice/response', 'rpc/alice/#'])
        .catch((e: unknown) => e);
      expect((refused as { packet?: { granted?: number[] } }).packet?.granted).toEqual([128, 128]);
      // Wildcards are accepted but carry nothing of alice's.
      await mallory.subscribe('#', 'rpc/+/response');
      await mallory.client.publishAsync(
        'rpc/alice/request',
        JSON.stringify({ jsonrpc: '2.0', method: 'sources.list', id: 'forged' }),
      );
      await mallory.client.publishAsync(
        'rpc/mallory/request',
        JSON.stringify({ jsonrpc: '2.0', method: 'sources.list', id: 'own' }),
      );
      await request('sources.list');
      await mallory.waitFor((m) => m.topic === 'rpc/mallory/response', 'mallory’s own answer');
      expect(mallory.messages.filter((m) => m.topic.startsWith('rpc/alice/'))).toEqual([]);
      expect(
        alice.messages.some((m) => m.topic === 'rpc/alice/response' && alice.json(m).id === 'forged'),
      ).toBe(false);
    } finally {
      await mallory.close();
    }
  });
});

describe('handleRpc', () => {
  const methods = {
    boom: method(z.strictObject({}), () => {
      throw new Error('disk on fire');
    }),
    echo: method(z.strictObject({ x: z.number() }), (p) => p.x),
  };
  it('turns a failing handler into -32603 with its message', () => {
    const res = JSON.parse(handleRpc('{"jsonrpc":"2.0","method":"boom","id":7}', methods) ?? '');
    expect(res).toEqual({
      jsonrpc: '2.0',
      id: 7,
      error: { code: RpcErrorCode.INTERNAL_ERROR, message: 'Internal error', data: 'disk on fire' },
    });
  });
  it('answers nothing to a notification (no id), even when it fails', () => {
    expect(handleRpc('{"jsonrpc":"2.0","method":"echo","params":{"x":1}}', methods)).toBeNull();
    expect(handleRpc('{"jsonrpc":"2.0","method":"boom"}', methods)).toBeNull();
  });
  it('returns the result with the request id', () => {
    expect(
      JSON.parse(handleRpc('{"jsonrpc":"2.0","method":"echo","params":{"x":3},"id":"a"}', methods) ?? ''),
    ).toEqual({
      jsonrpc: '2.0',
      id: 'a',
      result: 3,
    });
  });
});
