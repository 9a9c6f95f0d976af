import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { attachKeyboard, COINBASE_GARBAGE, FIRST_TRADE_ID, type Simulator } from '../../simulator/index.js';
import {
  type CoinbaseClient,
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

/** A client of `products`' matches and heartbeats that has seen 5 matches. */
async function watching(sim: Simulator, products = ['BTC-USD']): Promise<CoinbaseClient> {
  const c = await coinbase(h, sim);
  c.send(subscribe(products, ['matches', 'heartbeat']));
  await c.collect(isMatch(), 5, 'matches');
  return c;
}

/**
 * The heartbeats that reveal a loss as a client checking heartbeats sees it: a product's
 * `last_trade_id` past the newest of its matches received (once one has been: the baseline).
 */
function revealing(c: CoinbaseClient): CoinbaseMessage[] {
  const newest = new Map<string, number>();
  const found: CoinbaseMessage[] = [];
  for (const m of c.messages) {
    const product = m.product_id as string;
    const seen = newest.get(product);
    if (m.type === 'match' || m.type === 'last_match') {
      newest.set(product, Math.max(seen ?? 0, m.trade_id as number));
    } else if (isBeat()(m) && seen !== undefined && (m.last_trade_id as number) > seen) {
      found.push(m);
      newest.set(product, m.last_trade_id as number);
    }
  }
  return found;
}

const idsOf = (c: CoinbaseClient): number[] => c.messages.filter(isMatch()).map((m) => m.trade_id as number);

describe('gap', () => {
  it('loses matches on the targeted connection until the next heartbeat, which reveals the loss', async () => {
    const sim = await h.simulator({ recordSent: true, heartbeatIntervalMs: 50 });
    const a = await watching(sim);
    const b = await watching(sim);
    const [aId, bId] = sim.status().connections.map((c) => c.id);
    sim.fault({ kind: 'gap', connection: aId as number });
    const reveal = await a.waitFor(() => revealing(a)[0], 'a heartbeat revealing the loss');
    const at = a.messages.indexOf(reveal);
    await a.waitFor((ms) => (ms.slice(at).filter(isMatch()).length >= 5 ? true : undefined), 'matches after');
    const newest = reveal.last_trade_id as number;
    await b.find((m) => isMatch()(m) && (m.trade_id as number) > newest + 5, 'b past the loss');

    // Lost: what b got after a's last match before the heartbeat, up to the heartbeat's last_trade_id.
    const before = a.messages.slice(0, at).filter(isMatch()).at(-1)?.trade_id as number;
    const lost = idsOf(b).filter((id) => id > before && id <= newest);
    expect(lost.length).toBeGreaterThanOrEqual(1);
    expect(lost.at(-1)).toBe(newest);
    // Otherwise a got exactly what b got, from the first to the last trade both saw.
    const [aIds, bIds] = [idsOf(a), idsOf(b)];
    const from = Math.max(aIds[0] as number, bIds[0] as number);
    const to = Math.min(aIds.at(-1) as number, bIds.at(-1) as number);
    const within = (ids: number[]) => ids.filter((id) => id >= from && id <= to);
    expect(within(aIds)).toEqual(within(bIds).filter((id) => !lost.includes(id)));
    // Numbering is the venue's: the same trade has the same sequence on both connections.
    const onB = new Map(b.messages.filter(isMatch()).map((m) => [m.trade_id, m.sequence]));
    for (const m of a.messages.filter(isMatch())) {
      if (onB.has(m.trade_id)) expect(m.sequence).toBe(onB.get(m.trade_id));
    }
    // The sent log has what was sent: none of the lost matches on a, all of them on b.
    const sentTo = (id: number | undefined) =>
      new Set(
        sim
          .sent()
          .filter((s) => s.connection === id)
          .map((s) => Number(s.tradeId)),
      );
    expect(lost.filter((id) => sentTo(aId).has(id))).toEqual([]);
    expect(lost.filter((id) => !sentTo(bId).has(id))).toEqual([]);
    // One loss, one revealing heartbeat; b saw none.
    await a.collect(isBeat(), a.messages.filter(isBeat()).length + 3, 'more heartbeats');
    expect(revealing(a)).toEqual([reveal]);
    expect(revealing(b)).toEqual([]);
    expect(sim.status().counters.seqnumsSkipped).toBe(1);
  });

  it("waits for the client's baseline: a product's first match after subscribing is never lost", async () => {
    const sim = await h.simulator({ heartbeatIntervalMs: 30 });
    const c = await coinbase(h, sim);
    c.send(subscribe(['BTC-USD'], ['heartbeat']));
    await c.collect(isBeat(), 2, 'heartbeats');
    sim.fault({ kind: 'gap' });
    c.send(subscribe(['BTC-USD']));
    const reveal = await c.waitFor(() => revealing(c)[0], 'a heartbeat revealing the loss');
    // The market's first BTC trade (nobody watched it before) was delivered, then some were lost.
    const first = c.messages.find(isMatch());
    expect(first?.trade_id).toBe(FIRST_TRADE_ID);
    expect(c.messages.indexOf(first as CoinbaseMessage)).toBeLessThan(c.messages.indexOf(reveal));
  });

  it('a request during a loss gives the products back: still listed, no last_match, matches again', async () => {
    const sim = await h.simulator({ heartbeatIntervalMs: 5000 });
    const c = await matching(h, sim);
    sim.fault({ kind: 'gap' });
    const status = () => sim.status().connections[0]?.subscriptions;
    // While matches are lost, the product is off the connection.
    await eventually(() => !status()?.includes('trades:BTC-USD'), 'the loss at work');
    const count = c.messages.filter(isMatch()).length;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(c.messages.filter(isMatch()).length).toBe(count);
    c.send(subscribe(['ETH-USD']));
    const answer = await c.find((m) => isType('subscriptions')(m) && c.messages.indexOf(m) > count);
    expect(answer.channels).toEqual([{ name: 'matches', product_ids: ['BTC-USD', 'ETH-USD'] }]);
    const after = c.messages.indexOf(answer);
    await c.waitFor((ms) => (ms.slice(after).some(isMatch('BTC-USD')) ? true : undefined), 'BTC again');
    expect(c.messages.filter(isType('last_match')).map((m) => m.product_id)).not.toContain('BTC-USD');
    expect(status()).toEqual(['trades:BTC-USD', 'trades:ETH-USD']);
  });

  it('reaches Coinbase connections from HTTP, a scenario and the keyboard alike: one loss each', async () => {
    const sim = await h.simulator({ heartbeatIntervalMs: 30 });
    const c = await watching(sim);
    expect((await control(sim, '/control/fault', { kind: 'gap' })).status).toBe(200);
    await sim.runScenario({ faults: [{ atMs: 0, fault: { kind: 'gap' } }] });
    const input = new PassThrough();
    const output = new PassThrough();
    const keyboard = attachKeyboard(sim, input, output);
    input.write('p\n');
    await eventually(() => sim.status().counters.seqnumsSkipped === 3, 'three gaps applied');
    keyboard.close();
    // Faults that come while a loss is at work wait their turn: three losses, three heartbeats.
    await c.waitFor(() => (revealing(c).length >= 3 ? true : undefined), 'three revealing heartbeats');
    await c.collect(isBeat(), c.messages.filter(isBeat()).length + 5, 'more heartbeats');
    expect(revealing(c)).toHaveLength(3);
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
