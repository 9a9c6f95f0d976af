import { request } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AnyActorRef } from 'xstate';
import { startSimulator } from '../../simulator/index.js';
import { RecordingClient } from '../helpers/mqtt.js';
import { bearer, body, FAST_BACKOFF, type HttpRig, startRig } from './harness.js';

const newSource = (url: string, id = 'second') => ({
  id,
  kind: 'blockchain',
  url,
  symbols: ['BTC-USD'],
  backoff: FAST_BACKOFF,
  lingerMs: 0,
});

describe('admin routes without http.adminToken', () => {
  let rig: HttpRig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(() => rig?.close());

  it('refuse POST and DELETE with 403 to everyone, token or not', async () => {
    for (const headers of [undefined, bearer(''), bearer('anything')]) {
      const post = await rig.get('/api/sources', {
        method: 'POST',
        headers,
        body: JSON.stringify(newSource(rig.sim.url)),
      });
      expect(post.status).toBe(403);
      expect(await body(post)).toMatchObject({ error: expect.stringContaining('adminToken') });
      const del = await rig.get('/api/sources/blockchain', { method: 'DELETE', headers });
      expect(del.status).toBe(403);
    }
    expect(Object.keys(rig.server.statuses())).toEqual(['blockchain']);
  });
});

describe('admin routes with http.adminToken', () => {
  let rig: HttpRig;
  const open: Array<{ close(): Promise<void> }> = [];
  beforeAll(async () => {
    rig = await startRig({ adminToken: 'tok' });
  });
  afterEach(async () => {
    for (const c of open.reverse()) await c.close();
    open.length = 0;
  });
  afterAll(() => rig?.close());

  const post = (payload: unknown, token: string | null = 'tok') =>
    rig.get('/api/sources', {
      method: 'POST',
      headers: token === null ? {} : bearer(token),
      body: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });

  it('a missing, malformed or wrong token is 401 with a Bearer challenge', async () => {
    for (const headers of [{}, { authorization: 'Basic dG9rOg==' }, bearer('to'), bearer('tokk')]) {
      const res = await rig.get('/api/sources', { method: 'POST', headers, body: '{}' });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
      const del = await rig.get('/api/sources/blockchain', { method: 'DELETE', headers });
      expect(del.status).toBe(401);
    }
    expect(Object.keys(rig.server.statuses())).toEqual(['blockchain']);
  });

  it.each([
    ['{"id": "x",', '(root)', /not valid JSON/],
    ['', '(root)', /empty/],
  ])('a body that is not one JSON object (%j) is 400', async (text, _key, message) => {
    const res = await post(text);
    expect(res.status).toBe(400);
    expect((await body<{ error: string }>(res)).error).toMatch(message);
  });

  it.each([
    [{}, 'id'],
    [[], '(root)'],
    [{ id: 'Bad Id' }, 'id'],
    [{ id: 'x', url: 'http://127.0.0.1/ws' }, 'url'],
    [{ id: 'x', kind: 'nasdaq' }, 'kind'],
    [{ id: 'x', colour: 'red' }, 'colour'],
    [{ id: 'x', symbols: ['BTC-USD', 'BTC/USD'] }, 'symbols[1]'],
    [{ id: 'x', backoff: { initialDelayMs: 100, maxDelayMs: 10 } }, 'backoff.maxDelayMs'],
  ])('POST %j is 400 naming the key %s (the config schema)', async (payload, key) => {
    const res = await post(payload);
    expect(res.status).toBe(400);
    const err = await body<{ error: string; key: string }>(res);
    expect(err.key).toBe(key);
    expect(err.error.startsWith(`${key}: `)).toBe(true);
  });

  it('POST of an existing id is 409', async () => {
    const res = await post(newSource(rig.sim.url, 'blockchain'));
    expect(res.status).toBe(409);
    expect(await body(res)).toEqual({ error: 'source "blockchain" exists', key: 'id' });
  });

  it('a body over 64 KiB is 413, declared or streamed, and the server lives on', async () => {
    const big = JSON.stringify({ ...newSource(rig.sim.url, 'big'), pad: 'x'.repeat(70 * 1024) });
    const declared = await post(big);
    expect(declared.status).toBe(413);

    // Chunked, no Content-Length: refused once the running total passes the limit.
    const streamed = await new Promise<number>((resolve, reject) => {
      const req = request(`${rig.base}/api/sources`, {
        method: 'POST',
        headers: { authorization: 'Bearer tok' },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      for (let i = 0; i < 5; i++) req.write('x'.repeat(16 * 1024));
      req.end();
    });
    expect(streamed).toBe(413);
    expect((await rig.get('/health')).status).toBe(200);
    expect(Object.keys(rig.server.statuses())).toEqual(['blockchain']);
  });

  it('POST spawns a connector whose trades reach MQTT; DELETE stops it, clears its status and demand', async () => {
    const watcher = await RecordingClient.connect(rig.mqttUrl);
    open.push(watcher);
    await watcher.subscribe('trades/second/#', 'status/second');

    const res = await post(newSource(rig.sim.url));
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe('/api/sources/second');
    expect(await body(res)).toMatchObject({
      source: { id: 'second', url: rig.sim.url, symbols: ['BTC-USD'] },
    });

    const trades = await watcher.waitForCount(
      (m) => m.topic === 'trades/second/BTC-USD',
      3,
      'trades of second',
    );
    expect(watcher.json(trades[0]!)).toMatchObject({ source: 'second', symbol: 'BTC-USD' });
    const listed = await body<{ sources: Array<{ id: string; status: { state: string } }> }>(
      await rig.get('/api/sources'),
    );
    expect(listed.sources.map((s) => s.id)).toEqual(['blockchain', 'second']);
    expect(listed.sources[1]?.status.state).toBe('subscribed');
    expect(rig.sim.connections()).toBe(2);

    const from = watcher.mark();
    const del = await rig.get('/api/sources/second', { method: 'DELETE', headers: bearer('tok') });
    expect(del.status).toBe(200);
    expect(await body(del)).toEqual({ removed: 'second' });
    const stopped = await watcher.waitFor(
      (m) => m.topic === 'status/second' && m.payload !== '' && watcher.json(m).state === 'stopped',
      'status stopped',
      from,
    );
    // The clearing publish (empty payload) follows the `stopped` one.
    await watcher.waitFor(
      (m) => m.topic === 'status/second' && m.payload === '',
      'status cleared',
      stopped.index,
    );

    // One SUBSCRIBE for both: a retained status/second would arrive before the retained server status.
    const late = await RecordingClient.connect(rig.mqttUrl);
    open.push(late);
    await late.subscribe('status/second', 'dataserver/status');
    await late.waitFor((m) => m.topic === 'dataserver/status' && m.retain, 'retained server status');
    expect(late.messages.filter((m) => m.topic === 'status/second')).toEqual([]);

    const subscriptions = rig.server.supervisor.system.get('subscriptions') as AnyActorRef;
    const { context } = subscriptions.getSnapshot() as { context: { sources: object; demand: object } };
    expect(Object.keys(context.sources)).toEqual(['blockchain']);
    expect(context.demand).not.toHaveProperty('second');
    await vi.waitFor(() => expect(rig.sim.connections()).toBe(1), { timeout: 5000, interval: 10 });
    expect(Object.keys(rig.server.statuses())).toEqual(['blockchain']);
    expect(rig.server.sourceStats('second')).toBeUndefined();
    expect((await rig.get('/api/sources/second')).status).toBe(404);
    expect((await rig.get('/api/sources/second', { method: 'DELETE', headers: bearer('tok') })).status).toBe(
      404,
    );
  });

  it('POST /api/sources/{id}/retry restarts a source that gave up, and only such a source', async () => {
    const sim = await startSimulator({ port: 0, rate: 50 });
    open.push(sim);
    // Its first connection and the one reconnect maxAttempts 1 allows are refused: `failed`.
    sim.fault({ kind: 'refuse', attempts: 2 });
    const source = { ...newSource(sim.url, 'flaky'), backoff: { ...FAST_BACKOFF, maxAttempts: 1 } };
    expect((await post(source)).status).toBe(201);
    const state = () => rig.server.statuses().flaky?.state;
    await vi.waitFor(() => expect(state()).toBe('failed'), { timeout: 5000, interval: 10 });

    const retry = (id: string, token = 'tok') =>
      rig.get(`/api/sources/${id}/retry`, { method: 'POST', headers: bearer(token) });
    expect((await retry('flaky', 'wrong')).status).toBe(401);
    expect(state()).toBe('failed');
    expect((await retry('nope')).status).toBe(404);

    const res = await retry('flaky');
    expect(res.status).toBe(202);
    expect(await body(res)).toEqual({ retrying: 'flaky' });
    await vi.waitFor(() => expect(state()).toBe('subscribed'), { timeout: 5000, interval: 10 });
    expect(rig.server.statuses().flaky?.attempt).toBe(0);

    const again = await retry('flaky');
    expect(again.status).toBe(409);
    expect(await body(again)).toMatchObject({ state: 'subscribed' });
    expect((await rig.get('/api/sources/flaky', { method: 'DELETE', headers: bearer('tok') })).status).toBe(
      200,
    );
  });

  it('a source removed can be added again under the same id', async () => {
    const watcher = await RecordingClient.connect(rig.mqttUrl);
    open.push(watcher);
    await watcher.subscribe('trades/again/#');
    expect((await post(newSource(rig.sim.url, 'again'))).status).toBe(201);
    await watcher.waitFor((m) => m.topic === 'trades/again/BTC-USD', 'a first trade');
    const del = await rig.get('/api/sources/again', { method: 'DELETE', headers: bearer('tok') });
    expect(del.status).toBe(200);
    const from = watcher.mark();
    expect((await post(newSource(rig.sim.url, 'again'))).status).toBe(201);
    await watcher.waitFor((m) => m.topic === 'trades/again/BTC-USD', 'a trade after re-adding', from);
    const status = await body<{ status: { state: string } }>(await rig.get('/api/sources/again'));
    expect(status.status.state).toBe('subscribed');
    expect((await rig.get('/api/sources/again', { method: 'DELETE', headers: bearer('tok') })).status).toBe(
      200,
    );
  });
});
