import { describe, expect, it } from 'vitest';
import { blockchainDialect } from '../../src/connectors/blockchain/index.js';
import type { DialectSession } from '../../src/connectors/dialect.js';
import { dialectFor } from '../../src/connectors/registry.js';
import { DataServerError, type Trade, type UpstreamControl } from '../../src/domain/index.js';
import { CONTRACT_TRADE_FIELDS } from '../helpers/contract.js';
import { fixtureLines } from '../helpers/fixtures.js';

const lines = (name: string): string[] => fixtureLines('blockchain-com', name);

const documented = lines('documented.jsonl');
const edge = lines('edge.jsonl');
const bad = lines('bad.jsonl');
const requests = lines('requests.jsonl').map((line) => JSON.parse(line) as Record<string, unknown>);

const SOURCE = 'bc-test';
const CLOCK_START = Date.parse('2026-11-27T10:00:00.123Z');

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
function record(token = ''): Recording {
  const r: Omit<Recording, 'session'> = { trades: [], controls: [], bad: [], duplicates: [], ticks: [] };
  const now = (): Date => {
    const d = new Date(CLOCK_START + r.ticks.length);
    r.ticks.push(d.toISOString());
    return d;
  };
  const session = blockchainDialect.createSession({
    sourceId: SOURCE,
    symbols: [],
    token,
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

type Raw = Record<string, unknown>;

/** What CONTRACT §3/§6 say a trade frame becomes. */
function expectedTrade(raw: Raw, receivedAt: string): Trade {
  return {
    source: SOURCE,
    symbol: raw.symbol as string,
    tradeId: raw.trade_id as string,
    price: raw.price as number,
    qty: raw.qty as number,
    side: raw.side as Trade['side'],
    timestamp: raw.timestamp as string,
    seqnum: raw.seqnum as number,
    receivedAt,
  };
}

/** A good trade frame at `seqnum`, built from the documented sample. */
function tradeFrame(seqnum: number, overrides: Raw = {}): string {
  const sample = JSON.parse(
    documented.find((l) => l.includes('"channel":"trades"') && l.includes('updated'))!,
  );
  return JSON.stringify({ ...sample, seqnum, trade_id: `t${seqnum}`, ...overrides });
}

function heartbeatFrame(seqnum: number): string {
  return JSON.stringify({
    seqnum,
    event: 'updated',
    channel: 'heartbeat',
    timestamp: '2024-01-15T10:30:45.000000Z',
  });
}

/** A fresh session starts at seqnum 0, so any later first seqnum is a gap from 0. */
const gapsFromFreshStart = (raw: Raw): UpstreamControl[] =>
  typeof raw.seqnum === 'number' && raw.seqnum > 0
    ? [{ type: 'UPSTREAM.GAP', expected: 0, received: raw.seqnum }]
    : [];

const withoutGaps = (controls: UpstreamControl[]) => controls.filter((c) => c.type !== 'UPSTREAM.GAP');
const onlyGaps = (controls: UpstreamControl[]) => controls.filter((c) => c.type === 'UPSTREAM.GAP');

describe('blockchain fixtures', () => {
  it('are all present', () => {
    expect(documented).toHaveLength(9);
    expect(edge).toHaveLength(5);
    expect(bad).toHaveLength(12);
    expect(requests).toHaveLength(4);
  });
});

describe('blockchain dialect: good frames (documented.jsonl and edge.jsonl)', () => {
  const good = [
    ...documented.map((line, i) => ({ name: `documented.jsonl:${i + 1}`, line })),
    ...edge.map((line, i) => ({ name: `edge.jsonl:${i + 1}`, line })),
  ];

  it.each(good)('$name parses without a bad report and as the contract says', ({ line }) => {
    const r = record();
    expect(() => r.session.parse(line)).not.toThrow();
    const raw = JSON.parse(line) as Raw;

    expect(r.bad).toEqual([]);
    expect(r.duplicates).toEqual([]);
    expect(onlyGaps(r.controls)).toEqual(gapsFromFreshStart(raw));

    const isTrade = raw.event === 'updated' && raw.channel === 'trades';
    if (isTrade) {
      expect(r.trades).toHaveLength(1);
      const trade = r.trades[0]!;
      expect(Object.keys(trade).sort()).toEqual([...CONTRACT_TRADE_FIELDS].sort());
      expect(trade).toStrictEqual(expectedTrade(raw, r.ticks.at(-1)!));
      expect(r.ticks).toHaveLength(1);
    } else {
      expect(r.trades).toEqual([]);
    }

    const others = withoutGaps(r.controls);
    if (raw.event === 'subscribed' && raw.channel === 'trades') {
      expect(others).toEqual([{ type: 'UPSTREAM.SUBSCRIBED', symbol: raw.symbol }]);
    } else if (raw.event === 'unsubscribed' && raw.channel === 'trades') {
      expect(others).toEqual([{ type: 'UPSTREAM.UNSUBSCRIBED', symbol: raw.symbol }]);
    } else if (raw.event === 'rejected') {
      expect(others).toEqual([{ type: 'UPSTREAM.REJECTED', symbol: raw.symbol ?? null, text: raw.text }]);
    } else {
      // Trades and heartbeat traffic are data, not control.
      expect(others).toEqual([]);
    }
  });

  it('a successful auth acknowledgement is neither a bad frame nor a trades control', () => {
    // What the real API answers to the documented auth request when the token is good.
    const r = record('{API_SECRET}');
    r.session.parse('{"seqnum":0,"event":"subscribed","channel":"auth","readOnly":false}');
    expect(r.bad).toEqual([]);
    expect(r.controls).toEqual([]);
    expect(r.trades).toEqual([]);
  });

  it('keeps the upstream timestamp text as is, whatever its fractional digits', () => {
    const r = record();
    for (const ts of [
      '2019-08-13T11:30:06Z',
      '2019-08-13T11:30:06.100140Z',
      '2019-08-13T11:30:06.000123456Z',
    ]) {
      r.session.parse(tradeFrame(r.trades.length, { timestamp: ts }));
    }
    expect(r.trades.map((t) => t.timestamp)).toEqual([
      '2019-08-13T11:30:06Z',
      '2019-08-13T11:30:06.100140Z',
      '2019-08-13T11:30:06.000123456Z',
    ]);
  });

  it('keeps a 20-digit trade id as text, without rounding', () => {
    const r = record();
    r.session.parse(edge.find((l) => l.includes('99999999999999999999'))!);
    expect(r.trades[0]?.tradeId).toBe('99999999999999999999');
  });

  it('takes exponent numbers as the numbers they denote', () => {
    const r = record();
    r.session.parse(edge.find((l) => l.includes('1E-8'))!);
    expect(r.trades[0]?.qty).toBe(0.00000001);
    expect(r.trades[0]?.price).toBe(1500);
  });

  it('drops extra upstream fields from the normalized trade', () => {
    const r = record();
    r.session.parse(edge.find((l) => l.includes('extra_field'))!);
    expect(r.trades).toHaveLength(1);
    expect(r.trades[0]).not.toHaveProperty('extra_field');
  });

  it('stamps receivedAt from the injected clock at the moment each trade is read', () => {
    const r = record();
    r.session.parse(tradeFrame(0));
    r.session.parse(tradeFrame(1));
    expect(r.trades.map((t) => t.receivedAt)).toEqual(r.ticks);
    expect(r.trades[0]?.receivedAt).toBe('2026-11-27T10:00:00.123Z');
    expect(r.trades[1]?.receivedAt).toBe('2026-11-27T10:00:00.124Z');
  });

  it('a "__proto__" key in a frame pollutes no prototype', () => {
    const r = record();
    r.session.parse(edge.find((l) => l.includes('__proto__'))!);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    expect((Object.prototype as { polluted?: unknown }).polluted).toBeUndefined();
    expect(r.trades).toHaveLength(1);
    const trade = r.trades[0]!;
    expect(Object.getPrototypeOf(trade)).toBe(Object.prototype);
    expect((trade as unknown as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.keys(trade).sort()).toEqual([...CONTRACT_TRADE_FIELDS].sort());
  });
});

describe('blockchain dialect: bad frames (bad.jsonl)', () => {
  const cases = bad.map((line, i) => ({ name: `bad.jsonl:${i + 1}`, line }));

  it.each(cases)('$name is reported once through bad, never thrown, never a trade', ({ line }) => {
    const r = record();
    expect(() => r.session.parse(line)).not.toThrow();
    expect(r.bad).toHaveLength(1);
    expect(r.bad[0]?.frame).toBe(line);
    // A metric label: short and stable.
    expect(r.bad[0]?.reason).toMatch(/^[a-z][a-z_]*$/);
    expect(r.trades).toEqual([]);
    expect(r.duplicates).toEqual([]);
    // A bad frame may reveal a sequence gap, but it acknowledges or rejects nothing.
    expect(withoutGaps(r.controls)).toEqual([]);
  });

  it('a good trade, then every bad frame, then a good trade: both good trades come through', () => {
    const r = record();
    const first = tradeFrame(5, { trade_id: 'good-1' });
    const last = tradeFrame(14, { trade_id: 'good-2' });
    r.session.parse(first);
    for (const line of bad) r.session.parse(line);
    r.session.parse(last);

    expect(r.trades.map((t) => t.tradeId)).toEqual(['good-1', 'good-2']);
    expect(r.trades[1]).toStrictEqual(expectedTrade(JSON.parse(last), r.trades[1]!.receivedAt));
    expect(r.bad.map((b) => b.frame)).toEqual(bad);
    expect(r.duplicates).toEqual([]);
  });

  it('a trade frame without seqnum never becomes a trade without a seqnum', () => {
    // CONTRACT §3 fixes `seqnum` as a field of every normalized trade; only some rejections lack it upstream.
    const frame = JSON.parse(tradeFrame(0)) as Raw;
    delete frame.seqnum;
    const r = record();
    expect(() => r.session.parse(JSON.stringify(frame))).not.toThrow();
    expect(r.trades.length + r.bad.length).toBe(1);
    for (const t of r.trades) expect(Number.isSafeInteger(t.seqnum)).toBe(true);
  });

  it('a symbol that could not be one MQTT topic level is a bad frame, not a trade', () => {
    // The symbol becomes the last level of `trades/{source}/{symbol}` (CONTRACT §3): a "/" would
    // split it, and "+" or "#" are wildcards that MQTT-4.7.1 forbids in a topic name.
    for (const symbol of ['BTC/USD', 'BTC-USD/#', '+', '#']) {
      const r = record();
      r.session.parse(tradeFrame(0, { symbol }));
      expect(r.trades, symbol).toEqual([]);
      expect(r.bad, symbol).toHaveLength(1);
    }
  });
});

describe('blockchain dialect: sequence numbers', () => {
  it('consecutive seqnums across trades and heartbeats report nothing extra', () => {
    const r = record();
    r.session.parse(tradeFrame(0));
    r.session.parse(heartbeatFrame(1));
    r.session.parse(tradeFrame(2));
    r.session.parse(tradeFrame(3));
    expect(r.controls).toEqual([]);
    expect(r.duplicates).toEqual([]);
    expect(r.bad).toEqual([]);
    expect(r.trades.map((t) => t.seqnum)).toEqual([0, 2, 3]);
  });

  it('a jump reports UPSTREAM.GAP with the expected and received seqnum, and still delivers', () => {
    const r = record();
    r.session.parse(tradeFrame(0));
    r.session.parse(tradeFrame(1));
    r.session.parse(tradeFrame(5));
    expect(r.controls).toEqual([{ type: 'UPSTREAM.GAP', expected: 2, received: 5 }]);
    expect(r.trades.map((t) => t.seqnum)).toEqual([0, 1, 5]);
  });

  it('after a gap, counting resumes from the received seqnum', () => {
    const r = record();
    r.session.parse(tradeFrame(0));
    r.session.parse(tradeFrame(7));
    r.session.parse(tradeFrame(8));
    r.session.parse(heartbeatFrame(9));
    expect(r.controls).toEqual([{ type: 'UPSTREAM.GAP', expected: 1, received: 7 }]);
  });

  it('a repeated seqnum is reported as a duplicate and not delivered again', () => {
    const r = record();
    r.session.parse(tradeFrame(0));
    r.session.parse(tradeFrame(1));
    r.session.parse(tradeFrame(1));
    expect(r.duplicates).toEqual([1]);
    expect(r.trades.map((t) => t.seqnum)).toEqual([0, 1]);
    expect(r.bad).toEqual([]);
    expect(r.controls).toEqual([]);
  });

  it('a lower seqnum is reported as a duplicate, and the count goes on from the highest', () => {
    const r = record();
    for (const n of [0, 1, 2]) r.session.parse(tradeFrame(n));
    r.session.parse(tradeFrame(0, { trade_id: 'late' }));
    r.session.parse(tradeFrame(3));
    expect(r.duplicates).toEqual([0]);
    expect(r.trades.map((t) => t.tradeId)).not.toContain('late');
    expect(r.trades.map((t) => t.seqnum)).toEqual([0, 1, 2, 3]);
    expect(r.controls).toEqual([]);
  });

  it('a duplicate control frame is not reported as an acknowledgement twice', () => {
    const r = record();
    const ack = documented.find((l) => l.includes('"subscribed"') && l.includes('"trades"'))!;
    r.session.parse(ack);
    r.session.parse(ack);
    expect(r.controls).toEqual([{ type: 'UPSTREAM.SUBSCRIBED', symbol: 'BTC-USD' }]);
    expect(r.duplicates).toEqual([0]);
  });

  it('a frame without seqnum (a throttling rejection) leaves the count alone', () => {
    const r = record();
    r.session.parse(tradeFrame(0));
    r.session.parse(documented.find((l) => !l.includes('seqnum'))!);
    r.session.parse(tradeFrame(1));
    expect(onlyGaps(r.controls)).toEqual([]);
    expect(r.duplicates).toEqual([]);
    expect(r.trades).toHaveLength(2);
  });

  it('each session counts on its own', () => {
    const a = record();
    const b = record();
    a.session.parse(tradeFrame(0));
    a.session.parse(tradeFrame(1));
    b.session.parse(tradeFrame(0));
    expect(b.duplicates).toEqual([]);
    expect(b.trades).toHaveLength(1);
  });
});

describe('blockchain dialect: requests', () => {
  const parsed = (frames: string[]) => frames.map((f) => JSON.parse(f) as unknown);
  const [subscribeTrades, unsubscribeTrades, subscribeHeartbeat, auth] = requests;

  it('subscribe(["BTC-USD"]) sends the documented trades subscription', () => {
    expect(parsed(record().session.subscribe(['BTC-USD']))).toEqual([subscribeTrades]);
  });

  it('subscribe sends one request per symbol', () => {
    expect(parsed(record().session.subscribe(['BTC-USD', 'ETH-USD']))).toEqual([
      subscribeTrades,
      { ...subscribeTrades, symbol: 'ETH-USD' },
    ]);
    expect(record().session.subscribe([])).toEqual([]);
  });

  it('unsubscribe(["BTC-USD"]) sends the documented unsubscription', () => {
    expect(parsed(record().session.unsubscribe(['BTC-USD']))).toEqual([unsubscribeTrades]);
  });

  it('opening() without a token subscribes the heartbeat and nothing else', () => {
    expect(parsed(record('').session.opening())).toEqual([subscribeHeartbeat]);
  });

  it('opening() with a token also sends the documented auth request', () => {
    const frames = parsed(record('{API_SECRET}').session.opening());
    expect(frames).toHaveLength(2);
    expect(frames).toEqual(expect.arrayContaining([auth, subscribeHeartbeat]));
  });

  it('opening() carries the configured token', () => {
    const frames = parsed(record('s3cret').session.opening());
    expect(frames).toContainEqual({ ...auth, token: 's3cret' });
  });
});

describe('blockchain dialect: registry and headers', () => {
  it('sends the Origin the real API requires', () => {
    expect(blockchainDialect.headers.Origin).toBe('https://exchange.blockchain.com');
  });

  it('is the dialect of kind "blockchain"', () => {
    expect(blockchainDialect.kind).toBe('blockchain');
    expect(dialectFor('blockchain')).toBe(blockchainDialect);
  });

  it('an unknown kind throws an error naming it', () => {
    let error: unknown;
    try {
      dialectFor('nope');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DataServerError);
    expect((error as DataServerError).message).toMatch(/nope/);
    expect((error as DataServerError).code).toBe('UNKNOWN_DIALECT');
  });
});

describe('blockchain heartbeats', () => {
  it('counts a heartbeat without seqnum or with a bad timestamp as a bad frame', () => {
    const bad: string[] = [];
    const session = blockchainDialect.createSession({
      sourceId: 's',
      symbols: [],
      token: '',
      sink: { trade() {}, control() {}, duplicate() {}, bad: (reason) => bad.push(reason) },
    });
    session.parse('{"event":"updated","channel":"heartbeat"}');
    session.parse('{"seqnum":0,"event":"updated","channel":"heartbeat","timestamp":"soon"}');
    session.parse(
      '{"seqnum":1,"event":"updated","channel":"heartbeat","timestamp":"2019-05-31T08:36:45.666753Z"}',
    );
    expect(bad).toEqual(['missing_seqnum', 'bad_timestamp']);
  });
});
