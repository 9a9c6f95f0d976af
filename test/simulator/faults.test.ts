import { afterEach, describe, expect, it } from 'vitest';
import { garbageFrames, type Simulator } from '../../simulator/index.js';
import { eventually, Harness, isTrade, parseOrUndefined, TestClient, type WireMessage } from './helpers.js';

const h = new Harness();
afterEach(() => h.cleanup());

const sub = (symbol: string) => ({ action: 'subscribe', channel: 'trades', symbol });
const BTC = sub('BTC-USD');
const content = ({ seqnum: _, ...rest }: WireMessage) => rest;

/** A subscribed client that has seen `n` BTC trades. */
async function subscribed(sim: Simulator, n = 5): Promise<TestClient> {
  const c = await h.client(sim.url);
  c.send(BTC);
  await c.collect(isTrade('BTC-USD'), n, 'trades before the fault');
  return c;
}

/** Retries until the simulator accepts a connection again; resolves with the client. */
async function connectWhenAccepted(url: string): Promise<TestClient> {
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      return await TestClient.connect(url);
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** A genuine simulator trade: the garbage frames all fail at least one of these. */
const isGoodTrade = (m: unknown): boolean => {
  const t = m as WireMessage | null;
  return (
    typeof t === 'object' &&
    t !== null &&
    isTrade('BTC-USD')(t) &&
    typeof t.trade_id === 'string' &&
    /^\d+$/.test(t.trade_id) &&
    typeof t.price === 'number' &&
    t.price > 0
  );
};

describe('graceful and abrupt', () => {
  it('graceful closes every connection with 1000', async () => {
    const sim = await h.simulator();
    const a = await subscribed(sim);
    const b = await h.client(sim.url);
    expect(sim.fault({ kind: 'graceful' })).toMatchObject({ connections: 2, fault: { kind: 'graceful' } });
    expect((await a.closed).code).toBe(1000);
    expect((await b.closed).code).toBe(1000);
    await eventually(() => sim.connections() === 0, 'no connection left');
  });

  it('abrupt destroys the socket: the client sees 1006, no close frame', async () => {
    const sim = await h.simulator();
    const a = await subscribed(sim);
    expect(sim.fault({ kind: 'abrupt' }).connections).toBe(1);
    expect(await a.closed).toEqual({ code: 1006, reason: '' });
    await eventually(() => sim.connections() === 0, 'no connection left');
  });

  it('acts on one connection when its id is given', async () => {
    const sim = await h.simulator();
    const first = await h.client(sim.url);
    const second = await subscribed(sim);
    const [, id] = sim.status().connections.map((c) => c.id);
    expect(sim.fault({ kind: 'abrupt', connection: id as number }).connections).toBe(1);
    expect((await second.closed).code).toBe(1006);
    first.send(BTC);
    await first.find(isTrade('BTC-USD'), 'a trade on the untouched connection');
  });
});

describe('refuse', () => {
  it('drops connections, answers new ones 503 for the window, then accepts again by itself', async () => {
    const sim = await h.simulator();
    const a = await subscribed(sim);
    const start = performance.now();
    expect(sim.fault({ kind: 'refuse', seconds: 0.3 }).connections).toBe(1);
    expect((await a.closed).code).toBe(1006);
    expect(sim.status().refusingUntil).not.toBeNull();
    await expect(TestClient.connect(sim.url)).rejects.toThrow(/503/);

    const again = await connectWhenAccepted(sim.url);
    expect(performance.now() - start).toBeGreaterThanOrEqual(290);
    again.send(BTC);
    await again.find(isTrade('BTC-USD'), 'a trade after the window');
    await again.close();
    const status = sim.status();
    expect(status.refusingUntil).toBeNull();
    expect(status.counters.connectionsRefused).toBeGreaterThanOrEqual(1);
  });
});

describe('stall', () => {
  it('sends nothing for the window, loses what was due (not in the sent log), then resumes', async () => {
    const sim = await h.simulator({ recordSent: true });
    const stalled = await subscribed(sim);
    const other = await subscribed(sim);
    const [stalledId, otherId] = sim.status().connections.map((c) => c.id) as [number, number];
    const atFault = sim.status().connections[0]?.seqnum as number;

    const start = performance.now();
    sim.fault({ kind: 'stall', seconds: 0.3, connection: stalledId });
    // Messages numbered before the fault may still be in flight; the first one after it is the test.
    const first = await stalled.until(() => {
      const m = stalled.messages.find((x) => x.seqnum >= atFault);
      return m && { m, at: performance.now() };
    }, 'the first message after the stall');
    expect(first.at - start).toBeGreaterThanOrEqual(290);
    expect(isTrade('BTC-USD')(first.m)).toBe(true);
    await stalled.collect((m) => isTrade()(m) && m.seqnum > first.m.seqnum, 5, 'trades after the stall');

    const lastBefore = stalled.messages.filter((m) => m.seqnum < atFault && isTrade()(m)).at(-1);
    const lostIds = new Set<string>();
    for (let id = Number(lastBefore?.trade_id) + 1; id < Number(first.m.trade_id); id++)
      lostIds.add(String(id));
    // About 60 trades were due in 0.3 s at 200/s: all lost to the stalled connection...
    expect(lostIds.size).toBeGreaterThan(20);
    // ...which sees one seqnum gap covering them, since a zombie socket numbers what it loses.
    expect(first.m.seqnum).toBeGreaterThan(atFault);
    const sent = sim.sent();
    expect(sent.filter((s) => s.connection === stalledId && lostIds.has(s.tradeId))).toEqual([]);
    // The other connection got every one of them.
    await other.find((m) => m.trade_id === first.m.trade_id, 'the resumed trade on the other connection');
    const onOther = new Set(other.messages.filter(isTrade()).map((m) => m.trade_id));
    for (const id of lostIds) expect(onOther.has(id)).toBe(true);
    expect(sent.filter((s) => s.connection === otherId && lostIds.has(s.tradeId))).toHaveLength(lostIds.size);
    expect(sim.status().counters.messagesLostInStall).toBeGreaterThanOrEqual(lostIds.size);
  });
});

describe('garbage', () => {
  it('interleaves N bad frames with the next trades; seqnums stay consecutive across JSON ones', async () => {
    const sim = await h.simulator();
    const c = await subscribed(sim);
    const frames = garbageFrames();
    const n = frames.length;
    const before = c.frames.length;
    expect(sim.fault({ kind: 'garbage', count: n })).toMatchObject({ connections: 1 });
    await c.until(
      () =>
        c.frames.slice(before).filter((f) => !isGoodTrade(parseOrUndefined(f))).length >= n
          ? true
          : undefined,
      `${n} bad frames`,
    );
    await c.collect(isTrade(), c.messages.filter(isTrade()).length + 5, 'good trades after the garbage');

    const after = c.frames.slice(before).map((f) => isGoodTrade(parseOrUndefined(f)));
    const firstBad = after.indexOf(false);
    // Trades in flight when the fault came arrive first; then bad, good, bad, good... then good only.
    expect(after.slice(0, firstBad).every(Boolean)).toBe(true);
    const pattern = after.slice(firstBad, firstBad + 2 * n);
    expect(pattern).toEqual(Array.from({ length: 2 * n }, (_, i) => i % 2 === 1));
    expect(after.slice(firstBad + 2 * n).every(Boolean)).toBe(true);

    const bad = c.frames.slice(before).filter((f) => !isGoodTrade(parseOrUndefined(f)));
    expect(bad).toContain('this is not JSON');
    expect(bad).toContain('[{"seqnum":0}]');
    expect(bad).toContain('{"seqnum":"7","event":"updated","channel":"heartbeat"}');
    const numbered = c.frames
      .map(parseOrUndefined)
      .filter(
        (v): v is WireMessage =>
          typeof v === 'object' &&
          v !== null &&
          !Array.isArray(v) &&
          typeof (v as WireMessage).seqnum === 'number',
      )
      .map((m) => m.seqnum);
    expect(numbered).toEqual(numbered.map((_, i) => i));
    expect(numbered.length).toBeLessThan(c.frames.length);
    expect(sim.status().counters.garbageSent).toBe(n);
  });
});

describe('replay', () => {
  it('re-sends the last K trades already sent, after the next subscribe ack, once per symbol', async () => {
    const sim = await h.simulator({ recordSent: true });
    const earlier = await subscribed(sim, 10);
    sim.fault({ kind: 'graceful' });
    await earlier.closed;
    expect(sim.fault({ kind: 'replay', count: 3 })).toMatchObject({ connections: 0 });

    const later = await h.client(sim.url);
    later.send(BTC);
    const [ack, ...replayed] = await later.waitFor(
      (ms) => (ms.length >= 4 ? ms.slice(0, 4) : undefined),
      '4',
    );
    expect(ack).toEqual({ seqnum: 0, event: 'subscribed', channel: 'trades', symbol: 'BTC-USD' });
    const earlierTrades = earlier.messages.filter(isTrade());
    expect(replayed.map(content)).toEqual(earlierTrades.slice(-3).map(content));
    expect(replayed.map((m) => m.seqnum)).toEqual([1, 2, 3]);
    const live = await later.find((m) => isTrade()(m) && m.seqnum === 4, 'the first live trade');
    expect(Number(live.trade_id)).toBeGreaterThan(Number(replayed[2]?.trade_id));

    // The earlier connection may not be forgotten yet: the later one is the newest.
    const laterId = sim.status().connections.at(-1)?.id;
    const flags = sim.sent().filter((s) => s.connection === laterId);
    expect(flags.slice(0, 4).map((s) => s.replay)).toEqual([true, true, true, false]);
    expect(sim.status().armed.replay).toEqual({ count: 3, symbols: ['ETH-USD'] });

    // Disarmed for BTC: the next subscribe gets live trades only.
    const third = await h.client(sim.url);
    third.send(BTC);
    await third.collect(isTrade(), 3, 'live trades');
    const thirdId = sim.status().connections.at(-1)?.id;
    expect(sim.sent().filter((s) => s.connection === thirdId && s.replay)).toEqual([]);
  });
});

describe('gap', () => {
  it('skips exactly one seqnum on the next message', async () => {
    const sim = await h.simulator();
    const c = await subscribed(sim);
    sim.fault({ kind: 'gap' });
    const count = c.messages.length;
    const all = await c.waitFor((ms) => (ms.length >= count + 20 ? ms : undefined), 'messages after the gap');
    const steps = all.slice(1).map((m, i) => m.seqnum - (all[i] as WireMessage).seqnum);
    expect(steps.filter((s) => s !== 1)).toEqual([2]);
    expect(sim.status().counters.seqnumsSkipped).toBe(1);
  });
});

describe('reject', () => {
  it('answers the next N subscribes for the symbol with a rejection, then acks again', async () => {
    const sim = await h.simulator();
    const a = await h.client(sim.url);
    sim.fault({ kind: 'reject', symbol: 'ETH-USD', count: 2 });
    a.send(sub('ETH-USD'));
    a.send(BTC);
    const rejection = await a.nth(0);
    expect(rejection).toEqual({
      seqnum: 0,
      event: 'rejected',
      channel: 'trades',
      symbol: 'ETH-USD',
      text: expect.stringContaining('ETH-USD'),
    });
    expect(Object.keys(rejection)).toEqual(['seqnum', 'event', 'channel', 'symbol', 'text']);
    expect(await a.nth(1)).toEqual({ seqnum: 1, event: 'subscribed', channel: 'trades', symbol: 'BTC-USD' });

    // The count spans connections.
    const b = await h.client(sim.url);
    b.send(sub('ETH-USD'));
    expect((await b.nth(0)).event).toBe('rejected');
    b.send(sub('ETH-USD'));
    expect(await b.nth(1)).toEqual({ seqnum: 1, event: 'subscribed', channel: 'trades', symbol: 'ETH-USD' });
    await b.find(isTrade('ETH-USD'));
    expect(sim.status().counters.subscribesRejected).toBe(2);
  });

  it('defaults to one rejection', async () => {
    const sim = await h.simulator();
    expect(sim.fault({ kind: 'reject', symbol: 'BTC-USD' }).fault).toEqual({
      kind: 'reject',
      symbol: 'BTC-USD',
      count: 1,
    });
    const c = await h.client(sim.url);
    c.send(BTC);
    c.send(BTC);
    expect((await c.nth(0)).event).toBe('rejected');
    expect((await c.nth(1)).event).toBe('subscribed');
  });
});
