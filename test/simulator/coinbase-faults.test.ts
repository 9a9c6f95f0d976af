import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { attachKeyboard, COINBASE_GARBAGE } from '../../simulator/index.js';
import {
  type CoinbaseMessage,
  coinbase,
  isBeat,
  isGoodMatch,
  isMatch,
  isType,
  matching,
  subscribe,
  unsubscribe,
} from './coinbase-helpers.js';
import { control, eventually, Harness, isTrade, parseOrUndefined, TestClient } from './helpers.js';

const h = new Harness();
afterEach(() => h.cleanup());

/** Differences between consecutive sequences of `product`'s matches. */
const steps = (c: { messages: CoinbaseMessage[] }, product: string): number[] => {
  const sequences = c.messages
    .filter((m) => isMatch(product)(m) && isGoodMatch(m))
    .map((m) => m.sequence as number);
  return sequences.slice(1).map((s, i) => s - (sequences[i] as number));
};

describe('closes', () => {
  it('abrupt drops a Coinbase connection without a close frame; graceful closes it with 1000', async () => {
    const sim = await h.simulator();
    const a = await matching(h, sim);
    expect(sim.fault({ kind: 'abrupt' }).connections).toBe(1);
    expect(await a.closed).toEqual({ code: 1006, reason: '' });
    const b = await matching(h, sim);
    sim.fault({ kind: 'graceful' });
    expect((await b.closed).code).toBe(1000);
    await eventually(() => sim.connections() === 0, 'no connection left');
  });

  it('refuse answers /coinbase upgrades 503', async () => {
    const sim = await h.simulator();
    const a = await matching(h, sim);
    sim.fault({ kind: 'refuse', attempts: 1 });
    expect((await a.closed).code).toBe(1006);
    await expect(TestClient.connect(sim.coinbaseUrl)).rejects.toThrow(/503/);
    await matching(h, sim);
  });
});

describe('gap', () => {
  it('skips one sequence on the targeted connection only; the venue numbering goes on', async () => {
    const sim = await h.simulator();
    const a = await matching(h, sim);
    const b = await matching(h, sim);
    const [aId] = sim.status().connections.map((c) => c.id);
    sim.fault({ kind: 'gap', connection: aId as number });
    const count = a.messages.filter(isMatch()).length;
    await a.collect(isMatch(), count + 20, 'matches after the gap');
    expect(steps(a, 'BTC-USD').filter((s) => s !== 1)).toEqual([2]);
    const lastId = a.messages.filter(isMatch()).at(-1)?.trade_id;
    await b.find((m) => m.trade_id === lastId, 'the same trade on b');
    expect(steps(b, 'BTC-USD').every((s) => s === 1)).toBe(true);
    // Same trades, same ids; a's sequences run one ahead after the skip.
    const onB = new Map(b.messages.filter(isMatch()).map((m) => [m.trade_id, m.sequence as number]));
    const offsets = a.messages
      .filter(isMatch())
      .map((m) => (m.sequence as number) - (onB.get(m.trade_id) ?? NaN));
    expect(new Set(offsets.filter((o) => !Number.isNaN(o)))).toEqual(new Set([0, 1]));
    expect(sim.status().counters.seqnumsSkipped).toBe(1);
  });

  it('reaches Coinbase connections from HTTP, a scenario and the keyboard alike', async () => {
    const sim = await h.simulator();
    const c = await matching(h, sim);
    expect((await control(sim, '/control/fault', { kind: 'gap' })).status).toBe(200);
    await sim.runScenario({ faults: [{ atMs: 0, fault: { kind: 'gap' } }] });
    const input = new PassThrough();
    const output = new PassThrough();
    const keyboard = attachKeyboard(sim, input, output);
    input.write('p\n');
    await eventually(() => sim.status().counters.seqnumsSkipped === 3, 'three gaps applied');
    keyboard.close();
    const skipped = () => steps(c, 'BTC-USD').reduce((sum, s) => sum + s - 1, 0);
    // Gaps applied between two matches add up on the next one.
    await c.waitFor(() => (skipped() >= 3 ? true : undefined), 'three skipped sequences');
    await c.collect(isMatch(), c.messages.length + 10, 'more matches');
    expect(skipped()).toBe(3);
  });
});

describe('garbage', () => {
  it('interleaves malformed Coinbase-shaped frames with the next matches, sequences untouched', async () => {
    const sim = await h.simulator();
    const c = await matching(h, sim);
    const n = COINBASE_GARBAGE.length;
    const before = c.frames.length;
    sim.fault({ kind: 'garbage', count: n });
    const bad = () => c.frames.slice(before).filter((f) => !isGoodMatch(parseOrUndefined(f)));
    await c.until(() => (bad().length >= n ? true : undefined), `${n} bad frames`);
    await c.collect(isMatch(), c.messages.filter(isMatch()).length + 5, 'good matches after');
    expect(bad()).toEqual([...COINBASE_GARBAGE]);
    expect(COINBASE_GARBAGE).toContain('{"no_type":true}');
    expect(COINBASE_GARBAGE.some((f) => f.includes('"side":"both"'))).toBe(true);
    expect(steps(c, 'BTC-USD').every((s) => s === 1)).toBe(true);
    expect(sim.status().counters.garbageSent).toBe(n);
  });
});

describe('reject', () => {
  it('answers the subscribe with an error, subscribes nothing, then lets the next one through', async () => {
    const sim = await h.simulator();
    sim.fault({ kind: 'reject', symbol: 'ETH-USD', count: 1 });
    const c = await coinbase(h, sim);
    c.send(subscribe(['BTC-USD', 'ETH-USD']));
    c.send(subscribe(['BTC-USD', 'ETH-USD']));
    const [error, answer] = await c.waitFor((ms) => (ms.length >= 2 ? ms : undefined), 'two answers');
    expect(error).toEqual({
      type: 'error',
      message: 'Failed to subscribe',
      reason: expect.stringContaining('ETH-USD'),
    });
    expect(answer?.channels).toEqual([{ name: 'matches', product_ids: ['BTC-USD', 'ETH-USD'] }]);
    // Nothing of the rejected request was subscribed: the first matches follow the answer.
    expect(c.messages.indexOf(answer as CoinbaseMessage)).toBe(1);
    await c.find(isMatch('ETH-USD'));
    expect(sim.status().counters.subscribesRejected).toBe(1);
  });
});

describe('replay', () => {
  it('re-sends earlier matches, with their ids and sequences, after last_match; the sent log says so', async () => {
    const sim = await h.simulator({ recordSent: true });
    const earlier = await matching(h, sim, ['BTC-USD'], 10);
    // Unsubscribed, BTC trades no more: its newest trade is the last one the earlier client got.
    // (A closing socket would let a trade be made that nobody receives, and last_match is that one.)
    earlier.send(unsubscribe(['BTC-USD']));
    await earlier.find((m) => isType('subscriptions')(m) && m.channels?.length === 0, 'the unsubscribe');
    sim.fault({ kind: 'replay', count: 3 });
    const later = await coinbase(h, sim);
    later.send(subscribe(['BTC-USD']));
    const [answer, last, ...replayed] = await later.waitFor(
      (ms) => (ms.length >= 5 ? ms.slice(0, 5) : undefined),
      '5 messages',
    );
    expect(answer?.type).toBe('subscriptions');
    const seen = earlier.messages.filter(isMatch());
    expect(last).toEqual({ ...seen.at(-1), type: 'last_match' });
    expect(replayed).toEqual(seen.slice(-3));
    const live = await later.find((m) => isMatch()(m) && later.messages.indexOf(m) === 5, 'a live match');
    expect(live.trade_id).toBeGreaterThan(replayed[2]?.trade_id as number);

    const laterId = sim.status().connections.at(-1)?.id;
    const log = sim.sent().filter((s) => s.connection === laterId);
    expect(log.slice(0, 5).map(({ replay, lastMatch }) => ({ replay, lastMatch }))).toEqual([
      { replay: false, lastMatch: true },
      { replay: true, lastMatch: false },
      { replay: true, lastMatch: false },
      { replay: true, lastMatch: false },
      { replay: false, lastMatch: false },
    ]);
    expect(log[0]).toMatchObject({
      dialect: 'coinbase',
      tradeId: String(last?.trade_id),
      seqnum: last?.sequence,
    });
  });
});

describe('stall and quiet', () => {
  it('stall loses what was due (not in the sent log): the sequence shows the gap', async () => {
    const sim = await h.simulator({ recordSent: true });
    const c = await matching(h, sim);
    const id = sim.status().connections[0]?.id as number;
    const count = c.messages.length;
    sim.fault({ kind: 'stall', seconds: 0.2, connection: id });
    await c.collect(isMatch(), count + 10, 'matches after the stall');
    const jumps = steps(c, 'BTC-USD').filter((s) => s !== 1);
    expect(jumps).toHaveLength(1);
    expect(jumps[0]).toBeGreaterThan(10);
    const received = c.messages.filter(isMatch()).map((m) => String(m.trade_id));
    const logged = sim
      .sent()
      .filter((s) => s.connection === id)
      .map((s) => s.tradeId);
    expect(logged.slice(0, received.length)).toEqual(received);
    expect(sim.status().counters.messagesLostInStall).toBeGreaterThan(10);
  });

  it('quiet pauses the matches; heartbeats go on', async () => {
    const sim = await h.simulator({ recordSent: true, heartbeatIntervalMs: 20 });
    const c = await coinbase(h, sim);
    const bc = await h.client(sim.url);
    c.send(subscribe(['BTC-USD'], ['matches', 'heartbeat']));
    bc.send({ action: 'subscribe', channel: 'trades', symbol: 'BTC-USD' });
    await c.collect(isMatch(), 5, 'matches');
    await bc.find(isTrade());
    sim.fault({ kind: 'quiet', seconds: 60 });
    const sentAtQuiet = sim.sent().length;
    const beats = c.messages.filter(isBeat()).length;
    await c.collect(isBeat(), beats + 5, 'heartbeats while quiet');
    expect(sim.sent().length).toBe(sentAtQuiet);
    expect(sim.sent().map((s) => s.dialect)).toContain('blockchain');
    expect(c.messages.filter(isType('error'))).toEqual([]);
  });
});
