import { describe, expect, it } from 'vitest';
import {
  type CoinbaseOptions,
  coinbaseDialect,
  createCoinbaseDialect,
} from '../../src/connectors/coinbase/index.js';
import type { DialectSession } from '../../src/connectors/dialect.js';
import { dialectFor } from '../../src/connectors/registry.js';
import type { Trade, UpstreamControl } from '../../src/domain/index.js';
import { CONTRACT_TRADE_FIELDS } from '../helpers/contract.js';
import { fixtureLines } from '../helpers/fixtures.js';

const lines = (name: string): string[] => fixtureLines('coinbase', name);

const documented = lines('documented.jsonl');
const bad = lines('bad.jsonl');
const requests = lines('requests.jsonl').map((line) => JSON.parse(line) as Record<string, unknown>);

const SOURCE = 'cb-test';
const CLOCK_START = Date.parse('2026-11-27T10:00:00.123Z');

type Raw = Record<string, unknown>;

const byType = (type: string): string[] => documented.filter((l) => (JSON.parse(l) as Raw).type === type);
const [LAST_MATCH] = byType('last_match') as [string];
const [MATCH] = byType('match') as [string];
const [HEARTBEAT] = byType('heartbeat') as [string];
const [ERROR_BARE, ERROR_WITH_REASON] = byType('error') as [string, string];
const [SUBSCRIBED_BOTH, HEARTBEAT_ONLY] = byType('subscriptions') as [string, string];

interface Recording {
  session: DialectSession;
  trades: Trade[];
  controls: UpstreamControl[];
  bad: Array<{ reason: string; frame: string }>;
  duplicates: number[];
  /** What the clock said on each call, in order. */
  ticks: string[];
}

/** A fresh session whose sink records everything, with a clock that moves 1 ms per reading. */
function record(options?: CoinbaseOptions): Recording {
  const r: Omit<Recording, 'session'> = { trades: [], controls: [], bad: [], duplicates: [], ticks: [] };
  const now = (): Date => {
    const d = new Date(CLOCK_START + r.ticks.length);
    r.ticks.push(d.toISOString());
    return d;
  };
  const dialect = options === undefined ? coinbaseDialect : createCoinbaseDialect(options);
  const session = dialect.createSession({
    sourceId: SOURCE,
    symbols: [],
    token: '',
    now,
    sink: {
      trade: (t) => r.trades.push(t),
      control: (c) => r.controls.push(c),
      bad: (reason, frame) => r.bad.push({ reason, frame }),
      duplicate: (seqnum) => r.duplicates.push(seqnum),
    },
  });
  return { ...r, session };
}

const opposite = (side: unknown): Trade['side'] => (side === 'sell' ? 'buy' : 'sell');

/** What the brief and CONTRACT §3 say a match frame becomes (maker side inverted to the taker's). */
function expectedTrade(raw: Raw, receivedAt: string): Trade {
  return {
    source: SOURCE,
    symbol: raw.product_id as string,
    tradeId: String(raw.trade_id),
    price: Number(raw.price),
    qty: Number(raw.size),
    side: opposite(raw.side),
    timestamp: raw.time as string,
    seqnum: raw.sequence as number,
    receivedAt,
  };
}

/** A good match for `product`, built from the documented sample. */
function matchFrame(product: string, sequence: number, tradeId: number, overrides: Raw = {}): string {
  return JSON.stringify({
    ...(JSON.parse(MATCH) as Raw),
    product_id: product,
    sequence,
    trade_id: tradeId,
    ...overrides,
  });
}

function heartbeatFrame(product: string, sequence: number, lastTradeId: number): string {
  return JSON.stringify({
    type: 'heartbeat',
    sequence,
    last_trade_id: lastTradeId,
    product_id: product,
    time: '2014-11-07T08:19:28.464459Z',
  });
}

function subscriptionsFrame(matches: string[], heartbeat: string[] = matches): string {
  return JSON.stringify({
    type: 'subscriptions',
    channels: [
      { name: 'matches', product_ids: matches },
      { name: 'heartbeat', product_ids: heartbeat },
    ],
  });
}

const gap = (expected: number, received: number): UpstreamControl => ({
  type: 'UPSTREAM.GAP',
  expected,
  received,
});
const subscribed = (symbol: string): UpstreamControl => ({ type: 'UPSTREAM.SUBSCRIBED', symbol });
const unsubscribed = (symbol: string): UpstreamControl => ({ type: 'UPSTREAM.UNSUBSCRIBED', symbol });

describe('coinbase fixtures', () => {
  it('are all present', () => {
    expect(documented).toHaveLength(7);
    expect(bad).toHaveLength(9);
    expect(requests).toHaveLength(3);
  });
});

describe('coinbase dialect: documented frames (documented.jsonl), each in a fresh session', () => {
  const cases = documented.map((line, i) => ({ name: `documented.jsonl:${i + 1}`, line }));

  it.each(cases)('$name parses without a bad report and as the README says', ({ line }) => {
    const r = record();
    expect(() => r.session.parse(line)).not.toThrow();
    const raw = JSON.parse(line) as Raw;

    expect(r.bad).toEqual([]);
    expect(r.duplicates).toEqual([]);

    if (raw.type === 'match' || raw.type === 'last_match') {
      // `last_match` is a trade from before the subscription: delivered, dedup decides.
      expect(r.trades).toHaveLength(1);
      const trade = r.trades[0]!;
      expect(Object.keys(trade)).toEqual([...CONTRACT_TRADE_FIELDS]);
      expect(trade).toStrictEqual(expectedTrade(raw, r.ticks.at(-1)!));
      expect(r.ticks).toHaveLength(1);
    } else {
      expect(r.trades).toEqual([]);
    }

    if (raw.type === 'subscriptions') {
      // A fresh session held nothing, so every product in the `matches` list is new.
      const channels = raw.channels as Array<{ name: string; product_ids: string[] }>;
      const matches = channels.find((c) => c.name === 'matches')?.product_ids ?? [];
      expect(r.controls).toEqual(matches.map(subscribed));
    } else if (raw.type === 'error') {
      const text = [raw.message, raw.reason].filter((x) => typeof x === 'string').join(': ');
      // No subscribe request is pending in a fresh session: the error names none of ours.
      expect(r.controls).toEqual([{ type: 'UPSTREAM.REJECTED', symbol: null, text }]);
    } else {
      // Trades and heartbeats are data, and the first message per product sets the baseline.
      expect(r.controls).toEqual([]);
    }
  });

  it('the documented stream in one session: acks, trades, a last_trade_id gap, errors, release', () => {
    const r = record();
    r.session.subscribe(['BTC-USD', 'ETH-USD']);
    for (const line of documented) r.session.parse(line);

    expect(r.bad).toEqual([]);
    expect(r.duplicates).toEqual([]);
    expect(r.trades.map((t) => t.tradeId)).toEqual(['9', '10']);
    expect(r.controls).toEqual([
      subscribed('BTC-USD'),
      subscribed('ETH-USD'),
      // The heartbeat says trade 20 happened; the last trade seen was 10.
      gap(11, 20),
      { type: 'UPSTREAM.REJECTED', symbol: null, text: 'error message' },
      {
        type: 'UPSTREAM.REJECTED',
        symbol: null,
        text: 'Failed to subscribe: BTC-USDX is not a valid product',
      },
      // The last list has no `matches` entry: nothing is subscribed to trades any more.
      unsubscribed('BTC-USD'),
      unsubscribed('ETH-USD'),
    ]);
  });

  it('the heartbeat-only list after a fresh start acknowledges nothing', () => {
    const r = record();
    r.session.parse(HEARTBEAT_ONLY);
    expect(r.controls).toEqual([]);
    expect(r.bad).toEqual([]);
  });
});

describe('coinbase dialect: trades', () => {
  it('the maker side is inverted into the taker (aggressor) side', () => {
    const r = record();
    r.session.parse(matchFrame('BTC-USD', 1, 1, { side: 'sell' }));
    r.session.parse(matchFrame('BTC-USD', 2, 2, { side: 'buy' }));
    // A resting sell order was hit: the taker bought (an up-tick), and the reverse.
    expect(r.trades.map((t) => t.side)).toEqual(['buy', 'sell']);
  });

  it('price and size strings become the numbers they denote', () => {
    const r = record();
    r.session.parse(MATCH);
    r.session.parse(
      LAST_MATCH.replace('"sequence":49', '"sequence":51').replace('"trade_id":9', '"trade_id":11'),
    );
    expect(r.trades.map((t) => [t.price, t.qty])).toEqual([
      [400.23, 5.23512],
      [400.1, 1],
    ]);
    for (const t of r.trades) {
      expect(typeof t.price).toBe('number');
      expect(typeof t.qty).toBe('number');
    }
  });

  it('trade_id becomes a string, sequence the seqnum, time the timestamp unchanged', () => {
    const r = record();
    r.session.parse(matchFrame('ETH-USD', 7, 123456789, { time: '2014-11-07T08:19:27Z' }));
    expect(r.trades[0]).toMatchObject({
      symbol: 'ETH-USD',
      tradeId: '123456789',
      seqnum: 7,
      timestamp: '2014-11-07T08:19:27Z',
    });
  });

  it('stamps receivedAt from the injected clock at the moment each trade is read', () => {
    const r = record();
    r.session.parse(matchFrame('BTC-USD', 1, 1));
    r.session.parse(matchFrame('BTC-USD', 2, 2));
    expect(r.trades.map((t) => t.receivedAt)).toEqual(r.ticks);
    expect(r.trades[0]?.receivedAt).toBe('2026-11-27T10:00:00.123Z');
    expect(r.trades[1]?.receivedAt).toBe('2026-11-27T10:00:00.124Z');
  });

  it('drops upstream-only fields (order ids) from the normalized trade', () => {
    const r = record();
    r.session.parse(MATCH);
    expect(r.trades[0]).not.toHaveProperty('maker_order_id');
    expect(r.trades[0]).not.toHaveProperty('taker_order_id');
  });

  it.each([
    ['size', '0'],
    ['size', '0.00000000'],
    ['size', '-1'],
    ['size', ''],
    ['size', ' 1'],
    ['size', '1,5'],
    ['size', 'NaN'],
    ['price', 'Infinity'],
    ['price', '1e400'],
    ['price', '0x10'],
    ['price', '+5'],
    ['price', 400.23],
    ['price', null],
  ])('%s %j is a bad frame, not a trade', (field, value) => {
    const r = record();
    const frame = matchFrame('BTC-USD', 1, 1, { [field]: value });
    expect(() => r.session.parse(frame)).not.toThrow();
    expect(r.trades).toEqual([]);
    expect(r.bad).toEqual([{ reason: field === 'size' ? 'bad_size' : 'bad_price', frame }]);
  });

  it('a "__proto__" key or product id pollutes no prototype', () => {
    const r = record();
    const frame = MATCH.replace('{"type"', '{"__proto__":{"polluted":true},"type"');
    r.session.parse(frame);
    r.session.parse(matchFrame('__proto__', 1, 1));
    r.session.parse(heartbeatFrame('__proto__', 2, 5));
    r.session.parse(subscriptionsFrame(['__proto__', 'constructor']));
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    expect((Object.prototype as { polluted?: unknown }).polluted).toBeUndefined();
    expect(r.trades).toHaveLength(2);
    for (const trade of r.trades) {
      expect(Object.getPrototypeOf(trade)).toBe(Object.prototype);
      expect(Object.keys(trade)).toEqual([...CONTRACT_TRADE_FIELDS]);
    }
    // Per-product state is kept per product, even for a product called "__proto__".
    expect(r.controls).toEqual([gap(2, 5), subscribed('__proto__'), subscribed('constructor')]);
  });
});

describe('coinbase dialect: bad frames (bad.jsonl)', () => {
  // README: "`received` is a real type of another channel, so it is simply ignored".
  const isIgnored = (line: string) => line.includes('"type":"received"');
  const counted = bad.filter((line) => !isIgnored(line));

  it('has exactly one ignored line', () => {
    expect(bad.filter(isIgnored)).toHaveLength(1);
  });

  it.each(counted.map((line) => ({ name: `bad.jsonl:${bad.indexOf(line) + 1}`, line })))(
    '$name is reported once through bad, never thrown, never a trade',
    ({ line }) => {
      const r = record();
      expect(() => r.session.parse(line)).not.toThrow();
      expect(r.bad).toHaveLength(1);
      expect(r.bad[0]?.frame).toBe(line);
      // A metric label: short and stable.
      expect(r.bad[0]?.reason).toMatch(/^[a-z][a-z_]*$/);
      expect(r.trades).toEqual([]);
      expect(r.duplicates).toEqual([]);
      expect(r.controls).toEqual([]);
    },
  );

  it.each(bad.filter(isIgnored).map((line) => ({ name: `bad.jsonl:${bad.indexOf(line) + 1}`, line })))(
    '$name (an unknown type) is ignored: not bad, not a trade, nothing',
    ({ line }) => {
      const r = record();
      expect(() => r.session.parse(line)).not.toThrow();
      expect(r.bad).toEqual([]);
      expect(r.trades).toEqual([]);
      expect(r.controls).toEqual([]);
      expect(r.duplicates).toEqual([]);
    },
  );

  it('names the problem of each counted line', () => {
    const r = record();
    for (const line of bad) r.session.parse(line);
    expect(r.bad.map((b) => b.reason)).toEqual([
      'bad_trade_id',
      'bad_size',
      'bad_price',
      'bad_time',
      'bad_side',
      'missing_type',
      'not_an_object',
      'invalid_json',
    ]);
  });

  it('a good trade, then every bad frame, then a good trade: both good trades come through', () => {
    const r = record();
    const last = matchFrame('BTC-USD', 56, 15, { maker_order_id: 'good-2' });
    r.session.parse(MATCH);
    for (const line of bad) r.session.parse(line);
    r.session.parse(last);

    expect(r.trades.map((t) => t.tradeId)).toEqual(['10', '15']);
    expect(r.trades[1]).toStrictEqual(expectedTrade(JSON.parse(last), r.trades[1]!.receivedAt));
    expect(r.bad.map((b) => b.frame)).toEqual(bad.filter((line) => !isIgnored(line)));
    expect(r.duplicates).toEqual([]);
    expect(r.controls).toEqual([]);
    // Trades 11-14 were malformed (counted as bad), not lost: the heartbeat reports no gap either.
    r.session.parse(heartbeatFrame('BTC-USD', 57, 15));
    expect(r.controls).toEqual([]);
  });

  it.each([
    ['', 'invalid_json'],
    ['null', 'not_an_object'],
    ['42', 'not_an_object'],
    ['"match"', 'not_an_object'],
    ['{"type":7}', 'missing_type'],
    ['{"type":"match","sequence":1,"trade_id":1}', 'missing_product_id'],
    ['{"type":"heartbeat","sequence":1,"last_trade_id":1}', 'missing_product_id'],
    ['{"type":"heartbeat","product_id":"BTC-USD","last_trade_id":1}', 'bad_sequence'],
    ['{"type":"heartbeat","product_id":"BTC-USD","sequence":1}', 'bad_last_trade_id'],
    ['{"type":"heartbeat","product_id":"BTC-USD","sequence":-1,"last_trade_id":1}', 'bad_sequence'],
    ['{"type":"subscriptions"}', 'bad_subscriptions'],
    ['{"type":"subscriptions","channels":{}}', 'bad_subscriptions'],
    ['{"type":"subscriptions","channels":[{"name":"matches"}]}', 'bad_subscriptions'],
    ['{"type":"subscriptions","channels":[{"name":"matches","product_ids":["BTC/USD"]}]}', 'bad_symbol'],
    [matchFrame('BTC-USD', 1.5, 1), 'bad_sequence'],
    [matchFrame('BTC-USD', 1, 2 ** 60), 'bad_trade_id'],
    [matchFrame('BTC-USD', 1, 1, { time: 1415348367 }), 'bad_time'],
  ])('%s is reported as %s', (frame, reason) => {
    const r = record();
    expect(() => r.session.parse(frame)).not.toThrow();
    expect(r.bad).toEqual([{ reason, frame }]);
    expect(r.trades).toEqual([]);
    expect(r.controls).toEqual([]);
  });

  it('a product id that could not be one MQTT topic level is a bad frame', () => {
    // It becomes the last level of `trades/{source}/{symbol}` (CONTRACT §3).
    for (const product of ['BTC/USD', 'BTC-USD/#', '+', '#']) {
      const r = record();
      r.session.parse(matchFrame(product, 1, 1));
      r.session.parse(heartbeatFrame(product, 2, 1));
      expect(r.trades, product).toEqual([]);
      expect(
        r.bad.map((b) => b.reason),
        product,
      ).toEqual(['bad_symbol', 'bad_symbol']);
    }
  });

  it('an error without message or reason is still a rejection', () => {
    const r = record();
    r.session.parse('{"type":"error"}');
    expect(r.bad).toEqual([]);
    expect(r.controls).toEqual([{ type: 'UPSTREAM.REJECTED', symbol: null, text: 'error without message' }]);
  });
});

describe('coinbase dialect: full-list acks become per-symbol controls', () => {
  it('new products are SUBSCRIBED, the same list again is nothing, a product gone is UNSUBSCRIBED', () => {
    const r = record();
    r.session.subscribe(['BTC-USD', 'ETH-USD']);
    r.session.parse(SUBSCRIBED_BOTH);
    expect(r.controls).toEqual([subscribed('BTC-USD'), subscribed('ETH-USD')]);

    r.controls.length = 0;
    r.session.parse(SUBSCRIBED_BOTH);
    expect(r.controls).toEqual([]);

    r.session.unsubscribe(['ETH-USD']);
    r.session.parse(subscriptionsFrame(['BTC-USD'], ['BTC-USD', 'ETH-USD']));
    expect(r.controls).toEqual([unsubscribed('ETH-USD')]);

    r.controls.length = 0;
    r.session.unsubscribe(['BTC-USD']);
    r.session.parse(HEARTBEAT_ONLY);
    expect(r.controls).toEqual([unsubscribed('BTC-USD')]);
    expect(r.bad).toEqual([]);
  });

  it('one subscribe at a time: each list acknowledges only what it added', () => {
    const r = record();
    r.session.subscribe(['BTC-USD']);
    r.session.parse(subscriptionsFrame(['BTC-USD']));
    r.session.subscribe(['ETH-USD']);
    r.session.parse(subscriptionsFrame(['BTC-USD', 'ETH-USD']));
    expect(r.controls).toEqual([subscribed('BTC-USD'), subscribed('ETH-USD')]);
  });

  it('a list that changes without a request is reported too (upstream is the truth)', () => {
    const r = record();
    r.session.parse(subscriptionsFrame(['BTC-USD', 'ETH-USD']));
    r.session.parse(subscriptionsFrame(['ETH-USD', 'SOL-USD']));
    expect(r.controls).toEqual([
      subscribed('BTC-USD'),
      subscribed('ETH-USD'),
      unsubscribed('BTC-USD'),
      subscribed('SOL-USD'),
    ]);
  });

  it('a subscribe for a product the list already holds is still acknowledged', () => {
    // Otherwise the connector would wait for an ack that no diff would ever produce.
    const r = record();
    r.session.parse(subscriptionsFrame(['BTC-USD']));
    r.session.subscribe(['BTC-USD']);
    r.session.parse(subscriptionsFrame(['BTC-USD']));
    expect(r.controls).toEqual([subscribed('BTC-USD'), subscribed('BTC-USD')]);
    // Answered once: a further identical list says nothing.
    r.session.parse(subscriptionsFrame(['BTC-USD']));
    expect(r.controls).toHaveLength(2);
  });

  it('an unsubscribe for a product the list never held is still acknowledged', () => {
    const r = record();
    r.session.unsubscribe(['ETH-USD']);
    r.session.parse(subscriptionsFrame([]));
    expect(r.controls).toEqual([unsubscribed('ETH-USD')]);
  });

  it('subscribe, unsubscribe and subscribe again in flight end subscribed', () => {
    const r = record();
    r.session.subscribe(['BTC-USD']);
    r.session.unsubscribe(['BTC-USD']);
    r.session.subscribe(['BTC-USD']);
    for (const list of [['BTC-USD'], [], ['BTC-USD']]) r.session.parse(subscriptionsFrame(list));
    expect(r.controls.at(-1)).toEqual(subscribed('BTC-USD'));
  });
});

describe('coinbase dialect: error → UPSTREAM.REJECTED', () => {
  const text = 'Failed to subscribe: BTC-USDX is not a valid product';

  it('names the one pending product the error text names', () => {
    const r = record();
    r.session.subscribe(['BTC-USDX']);
    r.session.parse(ERROR_WITH_REASON);
    expect(r.controls).toEqual([{ type: 'UPSTREAM.REJECTED', symbol: 'BTC-USDX', text }]);
  });

  it('fails a request as a whole: every product of the request the error names is rejected', () => {
    const r = record();
    r.session.subscribe(['ETH-USD']);
    r.session.subscribe(['BTC-USD', 'BTC-USDX']);
    r.session.parse(ERROR_WITH_REASON);
    // "BTC-USDX" names the second request (whole words: it does not name "BTC-USD" itself).
    expect(r.controls).toEqual([
      { type: 'UPSTREAM.REJECTED', symbol: 'BTC-USD', text },
      { type: 'UPSTREAM.REJECTED', symbol: 'BTC-USDX', text },
    ]);
  });

  it('ties an error that names nothing pending to the only pending request, else to none', () => {
    const only = record();
    only.session.subscribe(['BTC-USDX', 'ETH-USDX']);
    only.session.parse(ERROR_BARE);
    expect(only.controls.map((c) => (c.type === 'UPSTREAM.REJECTED' ? c.symbol : c.type))).toEqual([
      'BTC-USDX',
      'ETH-USDX',
    ]);
    only.session.parse(ERROR_BARE);
    expect(only.controls.at(-1)).toMatchObject({ type: 'UPSTREAM.REJECTED', symbol: null });

    const two = record();
    two.session.subscribe(['BTC-USD']);
    two.session.subscribe(['ETH-USD']);
    two.session.parse(ERROR_BARE);
    expect(two.controls).toEqual([expect.objectContaining({ type: 'UPSTREAM.REJECTED', symbol: null })]);
  });

  it('an error the venue drops a client for refuses the connection, whatever is pending', () => {
    const r = record();
    r.session.subscribe(['BTC-USD']);
    r.session.parse(
      '{"type":"error","message":"ErrSlowRead","reason":"The client is sending too many messages"}',
    );
    expect(r.controls).toEqual([
      {
        type: 'UPSTREAM.REJECTED',
        symbol: null,
        text: 'ErrSlowRead: The client is sending too many messages',
      },
    ]);
  });

  it('a product already acknowledged is no longer pending', () => {
    const r = record();
    r.session.subscribe(['BTC-USDX']);
    r.session.parse(subscriptionsFrame(['BTC-USDX']));
    r.session.parse(ERROR_WITH_REASON);
    expect(r.controls).toEqual([subscribed('BTC-USDX'), { type: 'UPSTREAM.REJECTED', symbol: null, text }]);
  });

  it('a product released is no longer pending', () => {
    const r = record();
    r.session.subscribe(['BTC-USDX']);
    r.session.unsubscribe(['BTC-USDX']);
    r.session.parse(ERROR_WITH_REASON);
    expect(r.controls).toEqual([{ type: 'UPSTREAM.REJECTED', symbol: null, text }]);
  });
});

describe('coinbase dialect: sequences and gaps (per product)', () => {
  it('a repeated or lower sequence is a duplicate and not delivered again, per product', () => {
    const r = record();
    r.session.parse(matchFrame('BTC-USD', 50, 10));
    r.session.parse(matchFrame('ETH-USD', 7, 3));
    r.session.parse(matchFrame('BTC-USD', 50, 10));
    r.session.parse(matchFrame('BTC-USD', 49, 9));
    // ETH's own count: 8 follows its 7, whatever BTC's numbers are.
    r.session.parse(matchFrame('ETH-USD', 8, 4));
    r.session.parse(matchFrame('BTC-USD', 60, 11));
    expect(r.duplicates).toEqual([50, 49]);
    expect(r.trades.map((t) => `${t.symbol}#${t.tradeId}`)).toEqual([
      'BTC-USD#10',
      'ETH-USD#3',
      'ETH-USD#4',
      'BTC-USD#11',
    ]);
    expect(r.controls).toEqual([]);
    expect(r.bad).toEqual([]);
  });

  it('a jump in sequence between matches is not a gap: the matches channel skips the order-book messages', () => {
    const r = record();
    r.session.parse(LAST_MATCH);
    r.session.parse(matchFrame('BTC-USD', 57, 10));
    r.session.parse(matchFrame('BTC-USD', 93, 11));
    r.session.parse(heartbeatFrame('BTC-USD', 120, 11));
    expect(r.controls).toEqual([]);
    expect(r.trades).toHaveLength(3);
  });

  it('a jump in trade_id between matches is not a gap by itself: the heartbeat says whether one was lost', () => {
    // Trade ids need not run per product (a venue-wide counter would interleave them), but a
    // heartbeat's `last_trade_id` is always the product's own.
    const r = record();
    r.session.parse(matchFrame('BTC-USD', 50, 10));
    r.session.parse(matchFrame('ETH-USD', 50, 11));
    r.session.parse(matchFrame('BTC-USD', 51, 13));
    r.session.parse(heartbeatFrame('BTC-USD', 52, 13));
    expect(r.controls).toEqual([]);
    r.session.parse(heartbeatFrame('BTC-USD', 53, 15));
    expect(r.controls).toEqual([gap(14, 15)]);
    expect(r.trades.map((t) => t.tradeId)).toEqual(['10', '11', '13']);
  });

  it('a quiet product’s heartbeats may repeat the last sequence: not duplicates, nothing lost', () => {
    const r = record();
    r.session.parse(MATCH);
    r.session.parse(heartbeatFrame('BTC-USD', 50, 10));
    r.session.parse(heartbeatFrame('BTC-USD', 50, 10));
    r.session.parse(heartbeatFrame('BTC-USD', 49, 10));
    expect(r.duplicates).toEqual([]);
    expect(r.controls).toEqual([]);
  });

  it('a heartbeat whose last_trade_id is past the last trade seen is a gap', () => {
    const r = record();
    r.session.parse(matchFrame('BTC-USD', 50, 18));
    r.session.parse(heartbeatFrame('BTC-USD', 60, 18));
    r.session.parse(heartbeatFrame('BTC-USD', 61, 17));
    expect(r.controls).toEqual([]);
    r.session.parse(heartbeatFrame('BTC-USD', 62, 20));
    expect(r.controls).toEqual([gap(19, 20)]);
    // Reported once, not again every second.
    r.session.parse(heartbeatFrame('BTC-USD', 63, 20));
    r.session.parse(matchFrame('BTC-USD', 64, 21));
    expect(r.controls).toEqual([gap(19, 20)]);
    expect(r.duplicates).toEqual([]);
  });

  it('heartbeats are per product: another product’s trades do not count', () => {
    const r = record();
    r.session.parse(matchFrame('BTC-USD', 50, 18));
    r.session.parse(matchFrame('ETH-USD', 50, 900));
    r.session.parse(heartbeatFrame('BTC-USD', 60, 18));
    r.session.parse(heartbeatFrame('ETH-USD', 60, 902));
    expect(r.controls).toEqual([gap(901, 902)]);
  });

  it('a heartbeat never sets the baseline: not before the first trade, not with last_trade_id 0', () => {
    const r = record();
    r.session.parse(HEARTBEAT);
    r.session.parse(heartbeatFrame('BTC-USD', 91, 0));
    r.session.parse(matchFrame('BTC-USD', 92, 21));
    r.session.parse(heartbeatFrame('BTC-USD', 93, 0));
    expect(r.controls).toEqual([]);
    expect(r.duplicates).toEqual([]);
    expect(r.trades).toHaveLength(1);
  });

  it('the first message after (re)subscribing sets the baseline afresh', () => {
    const r = record();
    r.session.subscribe(['BTC-USD']);
    r.session.parse(subscriptionsFrame(['BTC-USD']));
    r.session.parse(matchFrame('BTC-USD', 500, 100));
    r.session.unsubscribe(['BTC-USD']);
    r.session.parse(subscriptionsFrame([], ['BTC-USD']));
    // Heartbeats go on for a released product: trades are no longer ours to miss.
    r.session.parse(heartbeatFrame('BTC-USD', 900, 150));
    r.session.subscribe(['BTC-USD']);
    r.session.parse(subscriptionsFrame(['BTC-USD']));
    r.session.parse(matchFrame('BTC-USD', 1000, 160, { type: 'last_match' }));
    r.session.parse(matchFrame('BTC-USD', 1001, 161));
    expect(r.controls).toEqual([subscribed('BTC-USD'), unsubscribed('BTC-USD'), subscribed('BTC-USD')]);
    expect(r.trades.map((t) => t.tradeId)).toEqual(['100', '160', '161']);
  });

  it('each session counts on its own', () => {
    const a = record();
    const b = record();
    a.session.parse(matchFrame('BTC-USD', 50, 10));
    b.session.parse(matchFrame('BTC-USD', 50, 10));
    expect(b.duplicates).toEqual([]);
    expect(b.trades).toHaveLength(1);
  });

  describe("with gapsFrom 'trade_id' (the real venue's per-product trade ids)", () => {
    const options = { gapsFrom: 'trade_id' } as const;

    it('a jump in trade_id is UPSTREAM.GAP per product, and the trade still delivered', () => {
      const r = record(options);
      r.session.parse(matchFrame('BTC-USD', 50, 10));
      r.session.parse(matchFrame('ETH-USD', 50, 500));
      r.session.parse(matchFrame('BTC-USD', 81, 13));
      r.session.parse(matchFrame('ETH-USD', 97, 501));
      r.session.parse(matchFrame('BTC-USD', 120, 14));
      expect(r.controls).toEqual([gap(11, 13)]);
      expect(r.trades.map((t) => t.tradeId)).toEqual(['10', '500', '13', '501', '14']);
    });

    it('the heartbeat then reports nothing more for the same loss; a later one still does', () => {
      const r = record(options);
      r.session.parse(matchFrame('BTC-USD', 50, 10));
      r.session.parse(matchFrame('BTC-USD', 51, 12));
      r.session.parse(heartbeatFrame('BTC-USD', 52, 12));
      r.session.parse(heartbeatFrame('BTC-USD', 53, 14));
      expect(r.controls).toEqual([gap(11, 12), gap(13, 14)]);
    });

    it('sequence jumps and repeated heartbeat sequences are still no gap', () => {
      const r = record(options);
      r.session.parse(matchFrame('BTC-USD', 50, 10));
      r.session.parse(matchFrame('BTC-USD', 90, 11));
      r.session.parse(heartbeatFrame('BTC-USD', 90, 11));
      r.session.parse(heartbeatFrame('BTC-USD', 90, 11));
      expect(r.controls).toEqual([]);
      expect(r.duplicates).toEqual([]);
    });
  });

  describe("with gapsFrom 'sequence' (a feed that numbers every message, like `full`)", () => {
    const options = { gapsFrom: 'sequence' } as const;

    it('a jump in sequence is UPSTREAM.GAP per product, and the frame is still delivered', () => {
      const r = record(options);
      r.session.parse(LAST_MATCH);
      r.session.parse(MATCH);
      r.session.parse(matchFrame('ETH-USD', 7, 1));
      r.session.parse(matchFrame('BTC-USD', 53, 11));
      r.session.parse(matchFrame('ETH-USD', 8, 2));
      expect(r.controls).toEqual([gap(51, 53)]);
      expect(r.trades.map((t) => t.seqnum)).toEqual([49, 50, 7, 53, 8]);
    });

    it('heartbeats share the product’s count: a jump is a gap, a repeat a duplicate', () => {
      const r = record(options);
      r.session.parse(MATCH);
      r.session.parse(heartbeatFrame('BTC-USD', 51, 10));
      r.session.parse(heartbeatFrame('BTC-USD', 51, 10));
      r.session.parse(HEARTBEAT);
      expect(r.duplicates).toEqual([51]);
      // The documented heartbeat (sequence 90, last_trade_id 20) jumps both counts.
      expect(r.controls).toEqual([gap(52, 90), gap(11, 20)]);
    });

    it('a jump in trade_id alone is not a second report of the same loss', () => {
      const r = record(options);
      r.session.parse(matchFrame('BTC-USD', 1, 10));
      r.session.parse(matchFrame('BTC-USD', 2, 12));
      expect(r.controls).toEqual([]);
    });

    it('heartbeats of a product with no trade since subscribing are not counted', () => {
      // Heartbeats go on after `matches` is released; the numbers they skip are other messages.
      const r = record(options);
      r.session.parse(heartbeatFrame('BTC-USD', 10, 5));
      r.session.parse(heartbeatFrame('BTC-USD', 20, 9));
      r.session.parse(heartbeatFrame('BTC-USD', 20, 9));
      expect(r.controls).toEqual([]);
      expect(r.duplicates).toEqual([]);
    });
  });
});

describe('coinbase dialect: requests', () => {
  const parsed = (frames: string[]) => frames.map((f) => JSON.parse(f) as unknown);
  const [subscribeBoth, , unsubscribeBtc] = requests;

  it('subscribe(["BTC-USD", "ETH-USD"]) sends the documented subscription, in one frame', () => {
    expect(parsed(record().session.subscribe(['BTC-USD', 'ETH-USD']))).toEqual([subscribeBoth]);
  });

  it('subscribe(["BTC-USD"]) asks for matches and heartbeat of that product', () => {
    expect(parsed(record().session.subscribe(['BTC-USD']))).toEqual([
      { ...subscribeBoth, product_ids: ['BTC-USD'] },
    ]);
  });

  it('unsubscribe(["BTC-USD"]) sends the documented unsubscription (matches only)', () => {
    expect(parsed(record().session.unsubscribe(['BTC-USD']))).toEqual([unsubscribeBtc]);
  });

  it('nothing to subscribe or release sends nothing (an empty product list is an error upstream)', () => {
    const { session } = record();
    expect(session.subscribe([])).toEqual([]);
    expect(session.unsubscribe([])).toEqual([]);
  });

  it('opening() sends nothing: heartbeats are per product, and the connector subscribes on open', () => {
    expect(record().session.opening()).toEqual([]);
  });
});

describe('coinbase dialect: registry and headers', () => {
  it('is the dialect of kind "coinbase"', () => {
    expect(coinbaseDialect.kind).toBe('coinbase');
    expect(dialectFor('coinbase')).toBe(coinbaseDialect);
  });

  it('needs no extra header on the upgrade request', () => {
    expect(coinbaseDialect.headers).toEqual({});
  });
});

describe('coinbase opening', () => {
  const sink = { trade() {}, control() {}, bad() {}, duplicate() {} };
  it('subscribes heartbeats for every offered product, so an idle connection stays up and watched', () => {
    const session = coinbaseDialect.createSession({
      sourceId: 'cb',
      token: '',
      symbols: ['BTC-USD', 'ETH-USD'],
      sink,
    });
    expect(session.opening().map((f) => JSON.parse(f))).toEqual([
      { type: 'subscribe', product_ids: ['BTC-USD', 'ETH-USD'], channels: ['heartbeat'] },
    ]);
  });
  it('sends nothing for a source offering nothing', () => {
    expect(coinbaseDialect.createSession({ sourceId: 'cb', token: '', symbols: [], sink }).opening()).toEqual(
      [],
    );
  });
});
