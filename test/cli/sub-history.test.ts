import { describe, expect, it } from 'vitest';
import { parseSub } from '../../src/cli/sub.js';
import { parseControl } from '../../src/cli/sub-controls.js';
import {
  fetchHistory,
  HistoryGate,
  historyPairs,
  oldestFirst,
  TradeDedup,
} from '../../src/cli/sub-history.js';
import { RpcCallError, RpcClient } from '../../src/cli/sub-rpc.js';
import { subFilters } from '../../src/cli/sub-session.js';
import type { Trade } from '../../src/domain/index.js';

function trade(id: number, source = 'blockchain', symbol = 'BTC-USD'): Trade {
  const at = new Date(Date.UTC(2026, 10, 27, 10, 0, 0, id)).toISOString();
  return {
    source,
    symbol,
    tradeId: String(id),
    price: 100 + id,
    qty: 1,
    side: 'buy',
    timestamp: at,
    seqnum: id,
    receivedAt: at,
  };
}

/** A gate whose output is recorded as `id` or `id*` (history). */
function recordGate() {
  const shown: string[] = [];
  const gate = new HistoryGate((t, history) => shown.push(`${t.source}:${t.tradeId}${history ? '*' : ''}`));
  return { gate, shown };
}

describe('--history: history first, then live, each trade once', () => {
  it('holds live trades until the history is in, then drops the ones history already showed', () => {
    const { gate, shown } = recordGate();
    // Subscribed first: trades 4..6 arrive while trades.recent is on its way (it answers 1..5, newest first).
    for (const id of [4, 5, 6]) gate.live(trade(id));
    expect(shown).toEqual([]);
    gate.open([5, 4, 3, 2, 1].map((id) => trade(id)));
    gate.live(trade(5)); // late duplicate delivery
    gate.live(trade(7));
    expect(shown).toEqual([
      'blockchain:1*',
      'blockchain:2*',
      'blockchain:3*',
      'blockchain:4*',
      'blockchain:5*',
      'blockchain:6',
      'blockchain:7',
    ]);
  });

  it('dedupes by source and trade id: the same id from another source is another trade', () => {
    const { gate, shown } = recordGate();
    gate.live(trade(1, 'coinbase'));
    gate.open([trade(1, 'blockchain')]);
    expect(shown).toEqual(['blockchain:1*', 'coinbase:1']);
  });

  it('an open gate (no --history) passes live trades at once; opening twice changes nothing', () => {
    const { gate, shown } = recordGate();
    gate.open();
    gate.live(trade(1));
    gate.open([trade(0)]);
    expect(shown).toEqual(['blockchain:1']);
    expect(gate.isOpen).toBe(true);
  });

  it('orders merged history oldest first', () => {
    const merged = [trade(3, 'coinbase'), trade(1), trade(2, 'coinbase'), trade(4)];
    expect(oldestFirst(merged).map((t) => t.tradeId)).toEqual(['1', '2', '3', '4']);
  });

  it('the dedup memory is bounded and forgets the oldest first', () => {
    const dedup = new TradeDedup(3);
    for (const id of [1, 2, 3, 4, 5]) expect(dedup.add(trade(id))).toBe(true);
    expect(dedup.size).toBe(3);
    expect(dedup.add(trade(5))).toBe(false);
    expect(dedup.add(trade(1))).toBe(true);
  });

  it('asks for every listed source/symbol the flags select', async () => {
    const listed = [
      { id: 'blockchain', symbols: ['BTC-USD', 'ETH-USD'] },
      { id: 'coinbase', symbols: ['BTC-USD'] },
      { nonsense: true },
    ];
    expect(historyPairs(listed, { source: '+', symbols: [] })).toHaveLength(3);
    expect(historyPairs(listed, { source: '+', symbols: ['BTC-USD'] })).toEqual([
      { source: 'blockchain', symbol: 'BTC-USD' },
      { source: 'coinbase', symbol: 'BTC-USD' },
    ]);
    expect(historyPairs(listed, { source: 'coinbase', symbols: ['ETH-USD'] })).toEqual([]);
    expect(historyPairs('not a list', { source: '+', symbols: [] })).toEqual([]);

    const calls: string[] = [];
    const call = async (method: string, params: Record<string, unknown>) => {
      calls.push(`${method} ${JSON.stringify(params)}`);
      if (method === 'sources.list') return listed;
      return [trade(2, String(params.source)), trade(1, String(params.source))];
    };
    const got = await fetchHistory(call, { source: 'blockchain', symbols: ['ETH-USD'] }, 2);
    expect(calls).toEqual([
      'sources.list {}',
      'trades.recent {"source":"blockchain","symbol":"ETH-USD","count":2}',
    ]);
    expect(got).toHaveLength(2);
  });
});

describe('JSON-RPC over MQTT with the own client id', () => {
  it('publishes to rpc/{id}/request and matches answers by id', async () => {
    const sent: Array<{ topic: string; body: { id: number; method: string } }> = [];
    const rpc = new RpcClient('me', (topic, payload) => sent.push({ topic, body: JSON.parse(payload) }));
    expect(rpc.responseTopic).toBe('rpc/me/response');
    const a = rpc.call('sources.list', {});
    const b = rpc.call('trades.recent', { symbol: 'BTC-USD' });
    expect(sent.map((s) => s.topic)).toEqual(['rpc/me/request', 'rpc/me/request']);
    rpc.handle({
      jsonrpc: '2.0',
      id: sent[1]!.body.id,
      error: { code: -32602, message: 'Invalid params', data: 'x' },
    });
    rpc.handle({ jsonrpc: '2.0', id: 999, result: 'not ours' });
    rpc.handle({ jsonrpc: '2.0', id: sent[0]!.body.id, result: ['ok'] });
    await expect(a).resolves.toEqual(['ok']);
    await expect(b).rejects.toThrow(RpcCallError);
    await expect(b).rejects.toThrow('Invalid params: x');
  });

  it('gives up after its timeout, and on close', async () => {
    const rpc = new RpcClient('me', () => {}, 10);
    await expect(rpc.call('sources.list', {})).rejects.toThrow(/no answer within 10 ms/);
    const slow = new RpcClient('me', () => {}, 60_000);
    const pending = slow.call('sources.list', {});
    slow.failAll('closing');
    await expect(pending).rejects.toThrow('closing');
  });
});

describe('sub flags and keys', () => {
  it('parses flags; bad ones are one USAGE error naming the flag', () => {
    expect(parseSub(['BTC-USD', '--history', '5', '--lines', '--url', 'ws://h:8083/mqtt'])).toMatchObject({
      symbols: ['BTC-USD'],
      history: 5,
      lines: true,
      json: false,
      url: 'ws://h:8083/mqtt',
      source: '+',
    });
    expect(parseSub(['--help'])).toBe('help');
    for (const [argv, name] of [
      [['--history', '-1'], '--history'],
      [['--history', 'lots'], '--history'],
      [['--url', 'http://x'], '--url'],
      [['--json', '--lines'], '--json'],
      [['--bogus'], '--bogus'],
      [['BTC/USD'], 'SYMBOL'],
    ] as const) {
      expect(() => parseSub([...argv]), argv.join(' ')).toThrow(name);
    }
  });

  it('subscribes trades, status and events of the chosen source and symbols', () => {
    expect(subFilters({ source: '+', symbols: [] })).toEqual(['trades/+/+', 'status/+', 'events/+']);
    expect(subFilters({ source: 'coinbase', symbols: ['BTC-USD', 'ETH-USD'] })).toEqual([
      'trades/coinbase/BTC-USD',
      'trades/coinbase/ETH-USD',
      'status/coinbase',
      'events/coinbase',
    ]);
  });

  it('reads g, a, t N, q and h; says what is wrong with anything else', () => {
    expect(parseControl('g')).toEqual({ kind: 'graceful' });
    expect(parseControl(' A ')).toEqual({ kind: 'abrupt' });
    expect(parseControl('t 2.5')).toEqual({ kind: 'drop', seconds: 2.5 });
    expect(parseControl('q')).toEqual({ kind: 'quit' });
    expect(parseControl('?')).toEqual({ kind: 'help' });
    expect(parseControl('')).toBeNull();
    expect(parseControl('t')).toHaveProperty('error');
    expect(parseControl('t 0')).toHaveProperty('error');
    expect(parseControl('g 3')).toHaveProperty('error');
    expect(parseControl('x')).toMatchObject({ error: expect.stringContaining('unknown command "x"') });
  });
});
