import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CONTRACT_TRADE_FIELDS } from '../helpers/contract.js';
import { body, type HttpRig, startRig } from './harness.js';

const PACKAGE_VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

interface TradeJson {
  source: string;
  symbol: string;
  tradeId: string;
  timestamp: string;
}

describe('HTTP read-only routes against a live server', () => {
  let rig: HttpRig;
  beforeAll(async () => {
    // alwaysOn: trades are stored with no MQTT demand. A token that must never be shown.
    rig = await startRig({ source: { alwaysOn: true, token: 'upstream-secret' } });
    await vi.waitFor(() => expect(rig.server.store.recent('BTC-USD', { count: 10 })).toHaveLength(10), {
      timeout: 10_000,
      interval: 20,
    });
  });
  afterAll(() => rig?.close());

  it('GET /health is 200 {"status":"ok"} as JSON', async () => {
    const res = await rig.get('/health');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await body(res)).toEqual({ status: 'ok' });
  });

  it('HEAD /health answers the headers without a body', async () => {
    const res = await rig.get('/health', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });

  it('GET / is the dashboard page, linking to the route list at /api', async () => {
    const res = await rig.get('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('<script type="module" src="/assets/main.js">');
    expect(html).toContain('href="/api"');
  });

  it('GET /api is an HTML page linking to the routes and back to the dashboard', async () => {
    const res = await rig.get('/api');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    for (const path of ['/', '/health', '/ready', '/metrics', '/api/info', '/api/sources', '/api/trades']) {
      expect(html).toContain(`href="${path}`);
    }
  });

  it('GET /api/info gives version, bound ports, uptime and start time', async () => {
    const info = await body(await rig.get('/api/info'));
    expect(info).toEqual({
      version: PACKAGE_VERSION,
      startedAt: rig.server.startedAt.toISOString(),
      uptimeSeconds: expect.any(Number),
      ports: { mqtt: rig.server.broker.port, mqttWs: rig.server.broker.wsPort, http: rig.server.httpPort },
    });
    expect(info.uptimeSeconds).toBeGreaterThanOrEqual(0);
    expect(rig.server.httpPort).toBeGreaterThan(0);
  });

  it('GET /api/sources lists each source with its configuration and status, never its token', async () => {
    const res = await rig.get('/api/sources');
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain('upstream-secret');
    expect(text).not.toMatch(/"token"/);
    const { sources } = JSON.parse(text) as { sources: Array<Record<string, unknown>> };
    expect(sources).toHaveLength(1);
    expect(sources[0]).toMatchObject({
      id: 'blockchain',
      kind: 'blockchain',
      url: rig.sim.url,
      symbols: ['BTC-USD', 'ETH-USD'],
      alwaysOn: true,
      lingerMs: 0,
      backoff: { initialDelayMs: 50, maxDelayMs: 200 },
      hasToken: true,
      status: { source: 'blockchain', state: 'subscribed', symbols: { 'BTC-USD': 'subscribed' } },
    });
  });

  it('GET /api/sources/{id} shows one source; an unknown id is 404', async () => {
    expect(await body(await rig.get('/api/sources/blockchain'))).toMatchObject({ id: 'blockchain' });
    const res = await rig.get('/api/sources/nope');
    expect(res.status).toBe(404);
    expect(await body(res)).toEqual({ error: 'no source "nope"' });
  });

  it('GET /api/trades gives stored trades newest first, in the contract field order', async () => {
    const res = await rig.get('/api/trades?symbol=BTC-USD&count=5');
    expect(res.status).toBe(200);
    const { trades } = await body<{ trades: TradeJson[] }>(res);
    expect(trades).toHaveLength(5);
    for (const t of trades) {
      expect(Object.keys(t)).toEqual(CONTRACT_TRADE_FIELDS);
      expect(t).toMatchObject({ source: 'blockchain', symbol: 'BTC-USD' });
    }
    // Newest first: the simulator's trade ids increase.
    const ids = trades.map((t) => BigInt(t.tradeId));
    expect([...ids].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0))).toEqual(ids);
  });

  it('GET /api/trades defaults to 100, takes source, and bounds by before/after like trades.recent', async () => {
    await vi.waitFor(() => expect(rig.server.store.recent('BTC-USD', { count: 101 })).toHaveLength(101), {
      timeout: 10_000,
      interval: 20,
    });
    const all = (await body<{ trades: TradeJson[] }>(await rig.get('/api/trades?symbol=BTC-USD'))).trades;
    expect(all).toHaveLength(100);
    const bySource = await body<{ trades: TradeJson[] }>(
      await rig.get('/api/trades?symbol=ETH-USD&source=blockchain&count=3'),
    );
    expect(bySource.trades.map((t) => t.symbol)).toEqual(['ETH-USD', 'ETH-USD', 'ETH-USD']);

    const after = all[50]!.timestamp;
    const before = all[10]!.timestamp;
    const q = `/api/trades?symbol=BTC-USD&count=1000&after=${after}&before=${before}`;
    const bounded = (await body<{ trades: TradeJson[] }>(await rig.get(q))).trades;
    const expected = rig.server.store
      .recent('BTC-USD', { count: 1000, after: Date.parse(after), before: Date.parse(before) })
      .map((t) => t.tradeId);
    expect(bounded.map((t) => t.tradeId)).toEqual(expected);
    for (const t of bounded) {
      expect(Date.parse(t.timestamp)).toBeGreaterThan(Date.parse(after));
      expect(Date.parse(t.timestamp)).toBeLessThan(Date.parse(before));
    }
  });

  it.each([
    ['', 'symbol'],
    ['symbol=btc usd', 'symbol'],
    ['symbol=BTC-USD&count=0', 'count'],
    ['symbol=BTC-USD&count=1001', 'count'],
    ['symbol=BTC-USD&count=2.5', 'count'],
    ['symbol=BTC-USD&count=ten', 'count'],
    ['symbol=BTC-USD&count=', 'count'],
    ['symbol=BTC-USD&before=yesterday', 'before'],
    ['symbol=BTC-USD&after=2020-01-01', 'after'],
    ['symbol=BTC-USD&after=2020-01-02T00:00:00Z&before=2020-01-01T00:00:00Z', 'after'],
    ['symbol=BTC-USD&source=Not%20An%20Id', 'source'],
    ['symbol=BTC-USD&limit=5', 'limit'],
    ['symbol=BTC-USD&symbol=ETH-USD', 'symbol'],
  ])('GET /api/trades?%s is 400 naming %s', async (query, parameter) => {
    const res = await rig.get(`/api/trades?${query}`);
    expect(res.status).toBe(400);
    const err = await body<{ error: string; parameter: string }>(res);
    expect(err.parameter).toBe(parameter);
    expect(err.error).toMatch(new RegExp(`^${parameter}: `));
  });

  it('GET /api/trades with an unknown source is 404 naming it', async () => {
    const res = await rig.get('/api/trades?symbol=BTC-USD&source=nope');
    expect(res.status).toBe(404);
    expect(await body(res)).toEqual({ error: 'source: no source "nope"', parameter: 'source' });
  });

  it('a symbol nobody trades is an empty list, not an error (as in trades.recent)', async () => {
    expect(await body(await rig.get('/api/trades?symbol=DOGE-EUR'))).toEqual({ trades: [] });
  });

  it('an unknown route is 404 JSON; a wrong method is 405 with Allow', async () => {
    const missing = await rig.get('/nope');
    expect(missing.status).toBe(404);
    expect(await body(missing)).toEqual({ error: 'no route /nope' });

    const post = await rig.get('/health', { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect(await body(post)).toMatchObject({ error: expect.stringContaining('POST') });

    const put = await rig.get('/api/sources', { method: 'PUT', body: '{}' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, HEAD, POST');
    const patch = await rig.get('/api/sources/blockchain', { method: 'PATCH' });
    expect(patch.headers.get('allow')).toBe('GET, HEAD, DELETE');
  });

  it('a malformed path is a 400, and the server keeps answering', async () => {
    const res = await rig.get('/api/sources/%E0%A4%A');
    expect(res.status).toBe(400);
    expect(await body(res)).toMatchObject({ error: expect.stringContaining('percent-encoding') });
    expect((await rig.get('/health')).status).toBe(200);
  });
});
