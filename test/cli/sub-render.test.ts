import { describe, expect, it } from 'vitest';
import { fitLine, seg, stripAnsi, widthOf } from '../../src/cli/sub-ansi.js';
import { countdown, formatStatus, formatTrade, timeOfDay } from '../../src/cli/sub-format.js';
import { RATE_WINDOW_MS, SubModel } from '../../src/cli/sub-model.js';
import { renderScreen, type ScreenView } from '../../src/cli/sub-render.js';
import type { Trade } from '../../src/domain/index.js';
import type { SourceStatus } from '../../src/runtime/index.js';

const T0 = Date.parse('2026-11-27T10:00:00.000Z');
let nextId = 1;

function trade(over: Partial<Trade> = {}): Trade {
  return {
    source: 'blockchain',
    symbol: 'BTC-USD',
    tradeId: String(nextId++),
    price: 60000,
    qty: 0.01,
    side: 'buy',
    timestamp: '2026-11-27T10:00:01.123456Z',
    seqnum: nextId,
    receivedAt: '2026-11-27T10:00:01.124Z',
    ...over,
  };
}

function status(over: Partial<SourceStatus> = {}): SourceStatus {
  return {
    source: 'blockchain',
    state: 'subscribed',
    since: '2026-11-27T10:00:00.000Z',
    attempt: 0,
    nextRetryAt: null,
    lastError: null,
    symbols: { 'BTC-USD': 'subscribed' },
    ...over,
  };
}

const view = (over: Partial<ScreenView> = {}): ScreenView => ({
  width: 100,
  now: T0 + 10_000,
  url: 'mqtt://127.0.0.1:1883',
  color: false,
  prompt: null,
  ...over,
});

const plain = (lines: string[]) => lines.map(stripAnsi);
const rowOf = (lines: string[], symbol: string, source = 'blockchain') =>
  plain(lines).find((l) => l.startsWith(source) && l.includes(symbol)) ?? '';
const cells = (line: string) => line.trim().split(/\s+/);

describe('sub model', () => {
  it('tracks last price and the change since the first live trade, with the prices decimals', () => {
    const m = new SubModel(T0);
    m.trade(trade({ price: 60000 }), T0 + 1000);
    m.trade(trade({ price: 60012.5, side: 'sell' }), T0 + 2000);
    // Two trades in the 4 s since the start.
    const row = rowOf(renderScreen(m, view({ now: T0 + 4000 })), 'BTC-USD');
    expect(cells(row)).toEqual([
      'blockchain',
      'BTC-USD',
      '60012.5',
      '+12.5',
      '+0.02%',
      '0.5',
      'sell',
      '10:00:01.123',
    ]);
  });

  it('takes the newest history trade as the starting price; history is not counted as live', () => {
    const m = new SubModel(T0);
    m.trade(trade({ price: 100 }), T0, true);
    m.trade(trade({ price: 200 }), T0, true);
    m.trade(trade({ price: 190 }), T0 + 1000);
    expect(m.trades).toBe(1);
    const [row] = m.rows();
    expect(row?.baseline).toBe(200);
    expect(cells(rowOf(renderScreen(m, view()), 'BTC-USD')).slice(2, 5)).toEqual(['190', '-10', '-5.00%']);
  });

  it('counts trades per second over the last few seconds only', () => {
    const m = new SubModel(T0);
    const later = T0 + 60_000;
    for (let i = 0; i < 10; i++) m.trade(trade(), later - 4000 + i * 400);
    const [row] = m.rows();
    expect(m.rate(row!, later)).toBeCloseTo(10 / (RATE_WINDOW_MS / 1000));
    expect(m.rate(row!, later + RATE_WINDOW_MS + 1)).toBe(0);
    // Right after the start the window is the time since the start (at least 1 s): no fake burst.
    const fresh = new SubModel(T0);
    fresh.trade(trade(), T0 + 100);
    fresh.trade(trade(), T0 + 1500);
    expect(fresh.rate(fresh.rows()[0]!, T0 + 2000)).toBe(1);
  });

  it('keeps rows per source and symbol, sorted', () => {
    const m = new SubModel(T0);
    m.trade(trade({ source: 'coinbase', symbol: 'ETH-USD', price: 3000 }), T0);
    m.trade(trade({ symbol: 'ETH-USD', price: 3001 }), T0);
    m.trade(trade({ price: 60000 }), T0);
    expect(m.rows().map((r) => `${r.source}/${r.symbol}`)).toEqual([
      'blockchain/BTC-USD',
      'blockchain/ETH-USD',
      'coinbase/ETH-USD',
    ]);
  });
});

describe('sub screen', () => {
  it('colours the side, the change and the source state', () => {
    const m = new SubModel(T0);
    m.trade(trade({ price: 10 }), T0);
    m.trade(trade({ price: 11, side: 'buy' }), T0 + 1);
    m.trade(trade({ symbol: 'ETH-USD', price: 10 }), T0);
    m.trade(trade({ symbol: 'ETH-USD', price: 9, side: 'sell' }), T0 + 1);
    m.status(status());
    m.status(status({ source: 'coinbase', state: 'backoff', attempt: 2 }));
    m.status(status({ source: 'kraken', state: 'failed' }));
    const lines = renderScreen(m, view({ color: true }));
    const btc = lines.find((l) => l.includes('BTC-USD') && l.includes('11'))!;
    expect(btc).toContain('\x1b[32mbuy');
    expect(btc).toContain('\x1b[32m+1');
    const eth = lines.find((l) => l.includes('ETH-USD') && l.includes('sell'))!;
    expect(eth).toContain('\x1b[31msell');
    expect(eth).toContain('\x1b[31m-1');
    expect(lines.find((l) => stripAnsi(l).startsWith('blockchain ') && l.includes('attempt'))).toContain(
      '\x1b[32msubscribed',
    );
    expect(lines.find((l) => l.includes('coinbase'))).toContain('\x1b[33mbackoff');
    expect(lines.find((l) => l.includes('kraken'))).toContain('\x1b[31mfailed');
    expect(renderScreen(m, view()).join('')).not.toContain('\x1b[');
  });

  it('counts the next retry down from nextRetryAt, and shows the error only while not subscribed', () => {
    const m = new SubModel(T0);
    const now = T0 + 10_000;
    m.status(
      status({
        state: 'backoff',
        attempt: 3,
        nextRetryAt: new Date(now + 2500).toISOString(),
        lastError: 'connect ECONNREFUSED 127.0.0.1:5000',
      }),
    );
    const line = (at: number) => plain(renderScreen(m, view({ now: at }))).find((l) => l.includes('attempt'));
    expect(line(now)).toMatch(/^blockchain {2}backoff {2}attempt 3 {2}retry in 2\.5 s .*ECONNREFUSED/);
    expect(line(now + 2000)).toContain('retry in 0.5 s');
    expect(line(now + 3000)).toContain('retry now');
    m.status(status({ attempt: 0, lastError: 'connect ECONNREFUSED 127.0.0.1:5000' }));
    expect(line(now)).not.toContain('ECONNREFUSED');
  });

  it('says in the header how the client is connected, with the reconnect countdown after g/a/t', () => {
    const m = new SubModel(T0);
    const header = () => plain(renderScreen(m, view()))[0];
    expect(header()).toContain('connecting');
    m.connection = { state: 'connected' };
    expect(header()).toMatch(
      /^DataServer sub {2}● connected {2}mqtt:\/\/127\.0\.0\.1:1883 {2}up 0:00:10 {2}0 trades$/,
    );
    m.connection = { state: 'paused', how: 'abrupt', until: T0 + 10_400 };
    expect(header()).toContain('disconnected by you (abrupt), back in 0.4 s');
    m.connection = { state: 'reconnecting', error: 'connect ECONNREFUSED' };
    expect(header()).toContain('reconnecting… (connect ECONNREFUSED)');
  });

  it('stays within narrow widths: drops the least useful columns, then cuts with …', () => {
    const m = new SubModel(T0);
    m.trade(trade({ price: 60000.12 }), T0);
    m.trade(trade({ price: 60001.12 }), T0 + 1);
    m.status(
      status({ state: 'backoff', lastError: 'x'.repeat(200), nextRetryAt: new Date(T0).toISOString() }),
    );
    m.notice = { text: 'n'.repeat(300), at: T0 + 9000 };
    for (const width of [120, 60, 40, 24, 12, 5]) {
      const lines = renderScreen(m, view({ width, prompt: 'a' }));
      for (const l of lines) expect(widthOf(stripAnsi(l)), `${width}: ${l}`).toBeLessThanOrEqual(width);
    }
    const narrow = plain(renderScreen(m, view({ width: 40 })));
    const row = rowOf(narrow, 'BTC-USD').trim() || narrow.find((l) => l.includes('BTC-USD'))!;
    expect(row).toContain('60001.12');
    expect(row).not.toContain('10:00:01');
    expect(narrow.find((l) => l.startsWith('blockchain  backoff'))).toMatch(/…$/);
    expect(cells(plain(renderScreen(m, view({ width: 24 }))).find((l) => l.includes('BTC'))!)).toEqual([
      'BTC-USD',
      '60001.12',
      '0.00%',
    ]);
    expect(cells(plain(renderScreen(m, view({ width: 18 }))).find((l) => l.includes('BTC'))!)).toEqual([
      'BTC-USD',
      '60001.12',
    ]);
  });

  it('summarizes rows beyond the terminal height', () => {
    const m = new SubModel(T0);
    for (let i = 0; i < 30; i++) m.trade(trade({ symbol: `S${String(i).padStart(2, '0')}-USD` }), T0);
    const lines = plain(renderScreen(m, view({ height: 15 })));
    expect(lines.length).toBeLessThanOrEqual(15);
    expect(lines.some((l) => /^… \d+ more$/.test(l))).toBe(true);
  });

  it('shows the line being typed and the keys, and hides old notices', () => {
    const m = new SubModel(T0);
    m.notice = { text: 'graceful disconnect', at: T0 };
    expect(plain(renderScreen(m, view({ now: T0 + 1000, prompt: 't 5' }))).at(-1)).toMatch(
      /^> t 5_ .*q quit/,
    );
    expect(plain(renderScreen(m, view({ now: T0 + 1000 }))).join('\n')).toContain('graceful disconnect');
    expect(plain(renderScreen(m, view({ now: T0 + 60_000 }))).join('\n')).not.toContain('graceful');
  });

  it('never lets a payload move the cursor', () => {
    const m = new SubModel(T0);
    m.status(status({ state: 'backoff', lastError: 'evil\x1b[2J\nnext' }));
    const text = renderScreen(m, view({ color: true })).join('\n');
    expect(text).not.toContain('\x1b[2J');
    expect(text).toContain('evil [2J next');
  });
});

describe('sub text pieces', () => {
  it('fitLine cuts on visible characters, not escape codes', () => {
    expect(fitLine([seg('abc', 'red'), seg('def')], 4, true)).toBe('\x1b[31mabc\x1b[39m…');
    expect(fitLine([seg('abc', 'red'), seg('def')], 5, true)).toBe('\x1b[31mabc\x1b[39md…');
    expect(fitLine([seg('abc'), seg('def')], 6, true)).toBe('abcdef');
    expect(fitLine([seg('abc')], 0, false)).toBe('');
  });

  it('countdown and time of day', () => {
    expect(countdown(T0 + 1234, T0)).toBe('in 1.2 s');
    expect(countdown(T0, T0)).toBe('now');
    expect(timeOfDay('2019-08-13T11:30:06.100140Z')).toBe('11:30:06.100');
    expect(timeOfDay('2019-08-13T11:30:06Z')).toBe('11:30:06');
    expect(timeOfDay('yesterday')).toBe('yesterday');
  });

  it('--lines keeps one readable line per trade and status', () => {
    const t = trade({ side: 'sell', qty: 0.5, price: 123.4 });
    expect(formatTrade(t, false)).toBe(
      '2026-11-27T10:00:01.123456Z  blockchain BTC-USD   SELL          0.5 @ 123.4',
    );
    expect(formatTrade(t, true)).toContain('\x1b[31mSELL');
    expect(formatStatus(status({ state: 'backoff', attempt: 1, lastError: 'boom' }), false)).toBe(
      '[status] blockchain: backoff attempt 1 (boom) — BTC-USD subscribed',
    );
  });
});
