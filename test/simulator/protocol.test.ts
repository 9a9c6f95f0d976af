import { describe, expect, it } from 'vitest';
import { formatTimestamp, frame, parseRequest, type Rejection, type Request } from '../../simulator/index.js';
import { ackBody, heartbeatBody, rejectedBody, tradeBody } from '../../simulator/protocol.js';

const OFFERED = new Set(['BTC-USD', 'ETH-USD']);

/** From the documented samples of the real API (fixtures/blockchain-com/documented.jsonl). */
const DOCUMENTED_TRADE =
  '{"seqnum":21,"event":"updated","channel":"trades","symbol":"BTC-USD","timestamp":"2019-08-13T11:30:06.100140Z","side":"sell","qty":8.5e-5,"price":11252.4,"trade_id":"12884909920"}';

const same = (ours: string, theirs: string): void => {
  const a = JSON.parse(ours);
  const b = JSON.parse(theirs);
  expect(Object.keys(a)).toEqual(Object.keys(b));
  expect(a).toEqual(b);
};

describe('parseRequest', () => {
  it('accepts the documented requests', () => {
    expect(parseRequest('{"action":"subscribe","channel":"trades","symbol":"BTC-USD"}', OFFERED)).toEqual({
      action: 'subscribe',
      channel: 'trades',
      symbol: 'BTC-USD',
    });
    expect(parseRequest('{"action":"unsubscribe","channel":"heartbeat"}', OFFERED)).toEqual({
      action: 'unsubscribe',
      channel: 'heartbeat',
    });
  });

  const rejected: Array<[string, string, RegExp, Partial<Rejection>]> = [
    ['bad JSON', '{"action":', /not valid JSON/, {}],
    ['an array', '[1,2,3]', /JSON object/, {}],
    ['null', 'null', /JSON object/, {}],
    ['a missing action', '{"channel":"heartbeat"}', /Missing "action"/, { channel: 'heartbeat' }],
    [
      'an unknown action',
      '{"action":"peek","channel":"trades","symbol":"BTC-USD"}',
      /Unknown action "peek"/,
      { channel: 'trades', symbol: 'BTC-USD' },
    ],
    ['a missing channel', '{"action":"subscribe"}', /Missing "channel"/, {}],
    [
      'an unknown channel',
      '{"action":"subscribe","channel":"candles"}',
      /Unknown channel "candles"/,
      { channel: 'candles' },
    ],
    ['a non-string channel', '{"action":"subscribe","channel":7}', /Unknown channel 7/, {}],
    [
      'an auth subscribe without a token',
      '{"action":"subscribe","channel":"auth"}',
      /^Authentication Failed$/,
      {
        channel: 'auth',
      },
    ],
    [
      'an auth subscribe with an empty token',
      '{"token":"","action":"subscribe","channel":"auth"}',
      /^Authentication Failed$/,
      { channel: 'auth' },
    ],
    [
      'an auth subscribe with a non-string token',
      '{"token":7,"action":"subscribe","channel":"auth"}',
      /^Authentication Failed$/,
      { channel: 'auth' },
    ],
    [
      'a missing symbol',
      '{"action":"subscribe","channel":"trades"}',
      /Missing "symbol"/,
      { channel: 'trades' },
    ],
    [
      'a non-string symbol',
      '{"action":"subscribe","channel":"trades","symbol":1}',
      /must be a string/,
      { channel: 'trades' },
    ],
    [
      'an unknown symbol',
      '{"action":"subscribe","channel":"trades","symbol":"DOGE-USD"}',
      /Unknown symbol "DOGE-USD".*BTC-USD, ETH-USD/,
      { channel: 'trades', symbol: 'DOGE-USD' },
    ],
  ];
  it.each(rejected)('rejects %s', (_name, text, reason, named) => {
    const result = parseRequest(text, OFFERED) as Rejection;
    expect(result.text).toMatch(reason);
    expect({ channel: result.channel, symbol: result.symbol }).toEqual({
      channel: named.channel,
      symbol: named.symbol,
    });
  });

  it('accepts an auth request with any non-empty token, and keeps no token', () => {
    expect(parseRequest('{"token":"s3cret","action":"subscribe","channel":"auth"}', OFFERED)).toEqual({
      action: 'subscribe',
      channel: 'auth',
    });
  });

  it('does not let a "__proto__" key pollute anything', () => {
    const result = parseRequest(
      '{"__proto__":{"polluted":true},"action":"subscribe","channel":"heartbeat"}',
      OFFERED,
    );
    expect(result).toEqual({ action: 'subscribe', channel: 'heartbeat' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('message builders', () => {
  const trades: Request = { action: 'subscribe', channel: 'trades', symbol: 'BTC-USD' };
  const heartbeat: Request = { action: 'subscribe', channel: 'heartbeat' };

  it('builds the documented trade, seqnum first', () => {
    const body = tradeBody({
      symbol: 'BTC-USD',
      timestamp: '2019-08-13T11:30:06.100140Z',
      side: 'sell',
      qty: 0.000085,
      price: 11252.4,
      tradeId: '12884909920',
    });
    same(frame(21, body), DOCUMENTED_TRADE);
  });

  it('builds the documented acks, heartbeat and rejections', () => {
    expect(frame(0, ackBody('subscribed', trades))).toBe(
      '{"seqnum":0,"event":"subscribed","channel":"trades","symbol":"BTC-USD"}',
    );
    expect(frame(0, ackBody('subscribed', heartbeat))).toBe(
      '{"seqnum":0,"event":"subscribed","channel":"heartbeat"}',
    );
    expect(frame(5, ackBody('unsubscribed', trades))).toBe(
      '{"seqnum":5,"event":"unsubscribed","channel":"trades","symbol":"BTC-USD"}',
    );
    expect(frame(1, heartbeatBody('2019-05-31T08:36:45.666753Z'))).toBe(
      '{"seqnum":1,"event":"updated","channel":"heartbeat","timestamp":"2019-05-31T08:36:45.666753Z"}',
    );
    expect(frame(1, rejectedBody({ channel: 'trading', text: 'Not subscribed to channel' }))).toBe(
      '{"seqnum":1,"event":"rejected","channel":"trading","text":"Not subscribed to channel"}',
    );
    expect(frame(2, rejectedBody({ text: 'Request is not valid JSON' }))).toBe(
      '{"seqnum":2,"event":"rejected","text":"Request is not valid JSON"}',
    );
  });
});

describe('formatTimestamp', () => {
  it('prints UTC with exactly six fractional digits', () => {
    expect(formatTimestamp(1_565_695_806_100_140)).toBe('2019-08-13T11:30:06.100140Z');
    expect(formatTimestamp(1_565_695_806_000_000)).toBe('2019-08-13T11:30:06.000000Z');
    expect(formatTimestamp(1_565_695_806_000_007.5)).toBe('2019-08-13T11:30:06.000007Z');
  });
});
