import { afterEach, describe, expect, it } from 'vitest';
import { matchMessage, orderId } from '../../simulator/dialects/coinbase-wire.js';
import {
  type CoinbaseRequest,
  DIALECT_NAMES,
  parseCoinbaseRequest,
  startSimulator,
  type TradeEvent,
} from '../../simulator/index.js';
import { parseSimulate, type SimulateFlags, simulatorOptions } from '../../src/cli/simulate.js';
import { DOCUMENTED, isMatch, matching, REQUESTS, shape, UUID } from './coinbase-helpers.js';
import { Harness, isTrade, TestClient } from './helpers.js';

const h = new Harness();
afterEach(() => h.cleanup());

const OFFERED = new Set(['BTC-USD', 'ETH-USD']);
const channels = (parsed: unknown) => Object.fromEntries((parsed as CoinbaseRequest).channels);

describe('parseCoinbaseRequest', () => {
  it('reads the documented requests', () => {
    expect(channels(parseCoinbaseRequest(REQUESTS[0] as string, OFFERED))).toEqual({
      matches: ['BTC-USD', 'ETH-USD'],
      heartbeat: ['BTC-USD', 'ETH-USD'],
    });
    expect(channels(parseCoinbaseRequest(REQUESTS[1] as string, OFFERED))).toEqual({ matches: ['BTC-USD'] });
    expect(parseCoinbaseRequest(REQUESTS[2] as string, OFFERED)).toMatchObject({ type: 'unsubscribe' });
  });

  it('merges a channel named twice; "all products" wins in an unsubscribe', () => {
    const twice =
      '{"type":"subscribe","channels":[{"name":"matches","product_ids":["BTC-USD"]},{"name":"matches","product_ids":["ETH-USD","BTC-USD"]}]}';
    expect(channels(parseCoinbaseRequest(twice, OFFERED))).toEqual({ matches: ['BTC-USD', 'ETH-USD'] });
    const all = '{"type":"unsubscribe","channels":["matches",{"name":"matches","product_ids":["BTC-USD"]}]}';
    expect(channels(parseCoinbaseRequest(all, OFFERED))).toEqual({ matches: undefined });
  });

  it('does not let a "__proto__" key pollute anything', () => {
    const text =
      '{"__proto__":{"polluted":true},"type":"subscribe","product_ids":["BTC-USD"],"channels":["matches"]}';
    expect(channels(parseCoinbaseRequest(text, OFFERED))).toEqual({ matches: ['BTC-USD'] });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('messages', () => {
  const trade: TradeEvent = {
    symbol: 'BTC-USD',
    tradeId: '10',
    sequence: 50,
    timestamp: '2014-11-07T08:19:27.028459Z',
    side: 'buy',
    qty: 5.23512,
    price: 400.23,
    bodies: {},
  };

  it('builds the documented match, with the maker side and decimal strings', () => {
    const ours = JSON.parse(matchMessage(trade, 'match'));
    const theirs = DOCUMENTED.get('match') as Record<string, unknown>;
    expect(shape(ours)).toEqual(shape(theirs));
    const numeric = ({
      maker_order_id: _m,
      taker_order_id: _t,
      size,
      price,
      ...rest
    }: Record<string, unknown>) => ({
      ...rest,
      size: Number(size),
      price: Number(price),
    });
    expect(numeric(ours)).toEqual(numeric(theirs));
    expect(ours.size).toBe('5.23512000');
    expect(JSON.parse(matchMessage({ ...trade, qty: 1e-8, price: 0.01 }, 'match'))).toMatchObject({
      size: '0.00000001',
      price: '0.01',
    });
  });

  it('derives order ids from the trade id: the same on every connection, distinct per role', () => {
    expect(orderId(10, 'maker')).toBe(orderId(10, 'maker'));
    expect(orderId(10, 'maker')).not.toBe(orderId(10, 'taker'));
    expect(orderId(10, 'maker')).not.toBe(orderId(11, 'maker'));
    expect(orderId(Number.MAX_SAFE_INTEGER, 'taker')).toMatch(UUID);
    const ids = new Set(Array.from({ length: 1000 }, (_, i) => orderId(12_884_901_889 + i, 'taker')));
    expect(ids.size).toBe(1000);
  });
});

describe('trade ids and sequences', () => {
  it('stay safe integers at the top of the firstTradeId range, which is bounded', async () => {
    await expect(startSimulator({ port: 0, firstTradeId: Number.MAX_SAFE_INTEGER })).rejects.toThrow(
      /"firstTradeId"/,
    );
    const top = Number.MAX_SAFE_INTEGER - 2 ** 41;
    const sim = await h.simulator({ firstTradeId: top });
    const bc = await h.client(sim.url);
    bc.send({ action: 'subscribe', channel: 'trades', symbol: 'BTC-USD' });
    const c = await matching(h, sim, ['BTC-USD'], 20);
    for (const m of c.messages.filter(isMatch())) {
      expect(Number.isSafeInteger(m.trade_id)).toBe(true);
      expect(Number.isSafeInteger(m.sequence)).toBe(true);
    }
    const last = c.messages.filter(isMatch()).at(-1);
    const same = await bc.find((t) => t.trade_id === String(last?.trade_id), 'the same trade');
    expect(isTrade()(same)).toBe(true);
  });
});

describe('dataserver simulate --dialect', () => {
  it('defaults to both and passes the simulator its dialects', () => {
    expect(simulatorOptions(parseSimulate([]) as SimulateFlags).dialects).toEqual([...DIALECT_NAMES]);
    for (const dialect of ['blockchain', 'coinbase'] as const) {
      const flags = parseSimulate(['--dialect', dialect]) as SimulateFlags;
      expect(flags.dialect).toBe(dialect);
      expect(simulatorOptions(flags).dialects).toEqual([dialect]);
    }
  });

  it('refuses anything else, naming the flag', () => {
    expect(() => parseSimulate(['--dialect', 'kraken'])).toThrow(/--dialect.*"kraken"/);
  });

  it('serves only the chosen dialect', async () => {
    const sim = await startSimulator({
      ...simulatorOptions(parseSimulate(['--port', '0', '--dialect', 'coinbase']) as SimulateFlags),
    });
    try {
      await expect(TestClient.connect(sim.url)).rejects.toThrow(/404/);
      const c = await TestClient.connect(sim.coinbaseUrl);
      await c.close();
    } finally {
      await sim.close();
    }
  });
});
