import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, SimulatedClock } from 'xstate';
import { backoffDelay, connectorMachine } from '../../machines/index.js';
import type { TransportCommand, TransportEvent, TransportInput } from '../../src/domain/index.js';
import { ackAll, connectorHarness } from './harness.js';

describe('connector machine', () => {
  it('connects, subscribes the demanded symbols, and reaches subscribed only after every ack', () => {
    const h = connectorHarness({ wanted: ['BTC-USD', 'ETH-USD'] });
    h.actor.start();
    expect(h.state()).toBe('connecting');
    h.current().send({ type: 'TRANSPORT.OPEN' });
    expect(h.state()).toBe('subscribing');
    expect(h.current().commands).toEqual([{ type: 'SUBSCRIBE', symbols: ['BTC-USD', 'ETH-USD'] }]);
    h.current().send({ type: 'UPSTREAM.SUBSCRIBED', symbol: 'BTC-USD' });
    expect(h.state()).toBe('subscribing');
    h.current().send({ type: 'UPSTREAM.SUBSCRIBED', symbol: 'ETH-USD' });
    expect(h.state()).toBe('subscribed');
    expect(h.actor.getSnapshot().context.symbols).toEqual({
      'BTC-USD': 'subscribed',
      'ETH-USD': 'subscribed',
    });
  });

  it('with no demand, is subscribed at once and sends nothing', () => {
    const h = connectorHarness();
    h.actor.start();
    h.current().send({ type: 'TRANSPORT.OPEN' });
    expect(h.state()).toBe('subscribed');
    expect(h.current().commands).toEqual([]);
  });

  it('follows demand while connected: new symbols are subscribed, dropped ones released', () => {
    const h = connectorHarness();
    h.actor.start();
    h.current().send({ type: 'TRANSPORT.OPEN' });
    h.actor.send({ type: 'DEMAND', symbols: ['ETH-USD'] });
    expect(h.state()).toBe('subscribing');
    expect(h.current().commands).toEqual([{ type: 'SUBSCRIBE', symbols: ['ETH-USD'] }]);
    ackAll(h.current());
    expect(h.state()).toBe('subscribed');

    h.actor.send({ type: 'DEMAND', symbols: [] });
    expect(h.current().commands).toEqual([{ type: 'UNSUBSCRIBE', symbols: ['ETH-USD'] }]);
    expect(h.actor.getSnapshot().context.symbols['ETH-USD']).toBe('unsubscribing');
    ackAll(h.current());
    expect(h.actor.getSnapshot().context.symbols['ETH-USD']).toBe('idle');
  });

  it('ignores demand for symbols the source does not offer', () => {
    const h = connectorHarness();
    h.actor.start();
    h.current().send({ type: 'TRANSPORT.OPEN' });
    h.actor.send({ type: 'DEMAND', symbols: ['DOGE-USD'] });
    expect(h.state()).toBe('subscribed');
    expect(h.current().commands).toEqual([]);
  });

  it('marks a rejected symbol with the venue text while the others keep their subscription', () => {
    const h = connectorHarness({ wanted: ['BTC-USD', 'ETH-USD'] });
    h.actor.start();
    h.current().send({ type: 'TRANSPORT.OPEN' });
    h.current().send({ type: 'UPSTREAM.SUBSCRIBED', symbol: 'BTC-USD' });
    h.current().send({ type: 'UPSTREAM.REJECTED', symbol: 'ETH-USD', text: 'Unknown symbol' });
    expect(h.state()).toBe('subscribed');
    const { context } = h.actor.getSnapshot();
    expect(context.symbols).toEqual({ 'BTC-USD': 'subscribed', 'ETH-USD': 'rejected' });
    expect(context.lastError).toBe('Unknown symbol');
  });

  it('on a lost connection backs off, reconnects, and resubscribes exactly the demanded symbols', () => {
    const h = connectorHarness({ wanted: ['BTC-USD'] });
    h.actor.start();
    h.current().send({ type: 'TRANSPORT.OPEN' });
    ackAll(h.current());
    const first = h.current();
    first.send({ type: 'TRANSPORT.CLOSED', reason: 'socket hang up' });
    expect(h.state()).toBe('backoff');
    expect(first.closed).toBe(true);
    const ctx = h.actor.getSnapshot().context;
    expect(ctx).toMatchObject({ attempt: 1, retryDelayMs: 1000, lastError: 'socket hang up' });
    expect(ctx.symbols['BTC-USD']).toBe('pending');

    // Demand changes while offline are remembered, not sent.
    h.actor.send({ type: 'DEMAND', symbols: ['BTC-USD', 'ETH-USD'] });
    h.clock.increment(999);
    expect(h.state()).toBe('backoff');
    h.clock.increment(1);
    expect(h.state()).toBe('connecting');
    expect(h.sessions).toHaveLength(2);
    h.current().send({ type: 'TRANSPORT.OPEN' });
    expect(h.state()).toBe('resubscribing');
    expect(h.current().commands).toEqual([{ type: 'SUBSCRIBE', symbols: ['BTC-USD', 'ETH-USD'] }]);
    ackAll(h.current());
    expect(h.state()).toBe('subscribed');
  });

  it('grows the delay per failed attempt up to the cap, and resets it after a stable period', () => {
    const h = connectorHarness();
    h.actor.start();
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      h.current().send({ type: 'TRANSPORT.CLOSED', reason: 'ECONNREFUSED' });
      const { retryDelayMs } = h.actor.getSnapshot().context;
      delays.push(retryDelayMs);
      h.clock.increment(retryDelayMs);
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);

    h.current().send({ type: 'TRANSPORT.OPEN' });
    expect(h.state()).toBe('subscribed');
    expect(h.actor.getSnapshot().context.attempt).toBe(6);
    h.clock.increment(10_000);
    expect(h.actor.getSnapshot().context.attempt).toBe(0);
    h.current().send({ type: 'TRANSPORT.CLOSED', reason: 'bye' });
    expect(h.actor.getSnapshot().context.retryDelayMs).toBe(1000);
  });

  it('retries a rejected symbol on the next connection', () => {
    const h = connectorHarness({ wanted: ['ETH-USD'] });
    h.actor.start();
    h.current().send({ type: 'TRANSPORT.OPEN' });
    h.current().send({ type: 'UPSTREAM.REJECTED', symbol: 'ETH-USD', text: 'busy' });
    h.current().send({ type: 'TRANSPORT.CLOSED', reason: 'bye' });
    h.clock.increment(1000);
    h.current().send({ type: 'TRANSPORT.OPEN' });
    expect(h.current().commands).toEqual([{ type: 'SUBSCRIBE', symbols: ['ETH-USD'] }]);
  });

  it('treats a transport that fails to start like a lost connection', () => {
    const h = connectorHarness();
    h.actor.start();
    h.actor.send({ type: 'TRANSPORT.CLOSED', reason: 'unknown source kind' });
    expect(h.state()).toBe('backoff');
  });

  it('stops from any state, closing the transport', () => {
    const h = connectorHarness({ wanted: ['BTC-USD'] });
    h.actor.start();
    h.current().send({ type: 'TRANSPORT.OPEN' });
    h.actor.send({ type: 'STOP' });
    expect(h.actor.getSnapshot().value).toBe('stopped');
    expect(h.actor.getSnapshot().status).toBe('done');
    expect(h.current().closed).toBe(true);
  });
});

describe('connector announcements and giving up', () => {
  it('announces connection.lost with the reason and connection.restored after resubscribing', () => {
    const h = connectorHarness({ wanted: ['BTC-USD'] });
    const seen: unknown[] = [];
    h.actor.on('*', (e) => seen.push(e));
    h.actor.start();
    h.current().send({ type: 'TRANSPORT.CLOSED', reason: 'ECONNREFUSED' });
    expect(seen).toEqual([]); // a connection that never opened was not lost
    h.clock.increment(1000);
    h.current().send({ type: 'TRANSPORT.OPEN' });
    ackAll(h.current());
    expect(seen).toEqual([]); // first session: nothing was restored
    h.current().send({ type: 'TRANSPORT.CLOSED', reason: 'socket hang up' });
    expect(seen).toEqual([{ type: 'connection.lost', reason: 'socket hang up' }]);
    h.clock.increment(h.actor.getSnapshot().context.retryDelayMs);
    h.current().send({ type: 'TRANSPORT.OPEN' });
    expect(seen).toHaveLength(1);
    ackAll(h.current());
    expect(seen.at(-1)).toEqual({ type: 'connection.restored' });
  });

  it('treats a sequence gap as a broken stream: announces it and reconnects', () => {
    const h = connectorHarness({ wanted: ['BTC-USD'] });
    const seen: unknown[] = [];
    h.actor.on('*', (e) => seen.push(e));
    h.actor.start();
    h.current().send({ type: 'TRANSPORT.OPEN' });
    ackAll(h.current());
    const first = h.current();
    first.send({ type: 'UPSTREAM.GAP', expected: 7, received: 9 });
    expect(h.state()).toBe('backoff');
    expect(first.closed).toBe(true);
    expect(h.actor.getSnapshot().context.lastError).toBe('sequence gap: expected 7, received 9');
    expect(seen).toEqual([
      { type: 'gap.detected', expected: 7, received: 9 },
      { type: 'connection.lost', reason: 'sequence gap: expected 7, received 9' },
    ]);
    h.clock.increment(1000);
    expect(h.sessions).toHaveLength(2);
  });

  it('treats a rejection naming no symbol as a refused connection: drops it and reconnects', () => {
    const text = 'Connection throttling enabled, your messages will be ignored.';
    const h = connectorHarness({ wanted: ['BTC-USD'] });
    const seen: unknown[] = [];
    h.actor.on('*', (e) => seen.push(e));
    h.actor.start();
    h.current().send({ type: 'TRANSPORT.OPEN' });
    expect(h.state()).toBe('subscribing');
    const first = h.current();
    first.send({ type: 'UPSTREAM.REJECTED', symbol: null, text });
    expect(h.state()).toBe('backoff');
    expect(first.closed).toBe(true);
    expect(h.actor.getSnapshot().context).toMatchObject({
      lastError: text,
      symbols: { 'BTC-USD': 'pending' },
    });
    expect(seen).toEqual([{ type: 'connection.lost', reason: text }]);
    h.clock.increment(h.actor.getSnapshot().context.retryDelayMs);
    h.current().send({ type: 'TRANSPORT.OPEN' });
    ackAll(h.current());
    expect(h.state()).toBe('subscribed');
  });

  it('keeps waiting while answers trickle in, each restarting the ack timeout', () => {
    const h = connectorHarness({
      symbols: ['BTC-USD', 'ETH-USD', 'SOL-USD'],
      wanted: ['BTC-USD', 'ETH-USD'],
      source: { ackTimeoutMs: 1000 },
    });
    h.actor.start();
    h.current().send({ type: 'TRANSPORT.OPEN' });
    h.clock.increment(800);
    h.current().send({ type: 'UPSTREAM.SUBSCRIBED', symbol: 'BTC-USD' });
    h.clock.increment(800);
    expect(h.state()).toBe('subscribing');
    h.actor.send({ type: 'DEMAND', symbols: ['BTC-USD', 'ETH-USD', 'SOL-USD'] });
    h.clock.increment(800);
    h.current().send({ type: 'UPSTREAM.REJECTED', symbol: 'ETH-USD', text: 'Unknown symbol' });
    h.clock.increment(800);
    expect(h.state()).toBe('subscribing');
    h.current().send({ type: 'UPSTREAM.SUBSCRIBED', symbol: 'SOL-USD' });
    expect(h.state()).toBe('subscribed');
    expect(h.sessions).toHaveLength(1);
  });

  it('gives the connection up when a subscribe request goes unanswered for ackTimeoutMs', () => {
    const h = connectorHarness({
      symbols: ['BTC-USD', 'ETH-USD'],
      wanted: ['BTC-USD'],
      source: {
        ackTimeoutMs: 1000,
        backoff: { initialDelayMs: 100, maxDelayMs: 100, multiplier: 1, jitter: 0, maxAttempts: 1 },
      },
    });
    const seen: unknown[] = [];
    h.actor.on('*', (e) => seen.push(e));
    h.actor.start();
    h.current().send({ type: 'TRANSPORT.OPEN' });
    ackAll(h.current());
    expect(h.state()).toBe('subscribed');
    // Subscribed is not timed: nothing is awaited there.
    h.clock.increment(5000);
    h.actor.send({ type: 'DEMAND', symbols: ['BTC-USD', 'ETH-USD'] });
    expect(h.current().commands).toEqual([{ type: 'SUBSCRIBE', symbols: ['ETH-USD'] }]);
    h.clock.increment(999);
    expect(h.state()).toBe('subscribing');
    const first = h.current();
    h.clock.increment(1);
    const reason = 'no answer to subscribe within 1000 ms';
    expect(h.state()).toBe('backoff');
    expect(first.closed).toBe(true);
    expect(h.actor.getSnapshot().context).toMatchObject({
      lastError: reason,
      attempt: 1,
      symbols: { 'BTC-USD': 'pending', 'ETH-USD': 'pending' },
    });
    expect(seen).toEqual([{ type: 'connection.lost', reason }]);

    // Reconnected, and again no answer: the attempts are used up.
    h.clock.increment(100);
    h.current().send({ type: 'TRANSPORT.OPEN' });
    expect(h.state()).toBe('resubscribing');
    h.clock.increment(1000);
    expect(h.state()).toBe('failed');
    expect(seen).toHaveLength(2);
  });

  it('times a subscribe out after 10,000 ms when the source does not say', () => {
    const h = connectorHarness({ wanted: ['BTC-USD'] });
    h.actor.start();
    h.current().send({ type: 'TRANSPORT.OPEN' });
    h.clock.increment(9999);
    expect(h.state()).toBe('subscribing');
    h.clock.increment(1);
    expect(h.state()).toBe('backoff');
    expect(h.actor.getSnapshot().context.lastError).toBe('no answer to subscribe within 10000 ms');
  });

  it('gives up after maxAttempts consecutive failures, and RETRY starts over', () => {
    const h = connectorHarness({
      wanted: ['BTC-USD'],
      source: {
        sourceId: 'venue',
        kind: 'blockchain',
        url: 'ws://127.0.0.1:1/ws',
        token: '',
        staleAfterMs: 15_000,
        symbols: ['BTC-USD'],
        backoff: { initialDelayMs: 100, maxDelayMs: 100, multiplier: 2, jitter: 0, maxAttempts: 2 },
      },
    });
    h.actor.start();
    for (let i = 0; i < 2; i++) {
      h.current().send({ type: 'TRANSPORT.CLOSED', reason: 'ECONNREFUSED' });
      expect(h.state()).toBe('backoff');
      h.clock.increment(100);
    }
    h.current().send({ type: 'TRANSPORT.CLOSED', reason: 'ECONNREFUSED' });
    expect(h.state()).toBe('failed');
    expect(h.actor.getSnapshot().context).toMatchObject({
      attempt: 2,
      nextRetryAt: null,
      lastError: 'ECONNREFUSED',
    });
    h.clock.increment(60_000);
    expect(h.sessions).toHaveLength(3); // no more attempts while failed
    h.actor.send({ type: 'RETRY' });
    expect(h.state()).toBe('connecting');
    expect(h.actor.getSnapshot().context.attempt).toBe(0);
  });
});

describe('a transport that cannot start', () => {
  const throwing = fromCallback<TransportCommand, TransportInput, TransportEvent>(() => {
    throw new Error('bad url');
  });
  const start = (maxAttempts?: number) => {
    const clock = new SimulatedClock();
    const actor = createActor(connectorMachine.provide({ actors: { transport: throwing } }), {
      clock,
      input: {
        source: {
          sourceId: 'venue',
          kind: 'blockchain',
          url: 'ws://x',
          token: '',
          staleAfterMs: 1000,
          symbols: ['BTC-USD'],
          backoff: { initialDelayMs: 100, maxDelayMs: 100, multiplier: 1, jitter: 0, maxAttempts },
        },
      },
    });
    return { actor: actor.start(), clock };
  };

  it('is retried after the backoff like a failed connection (onError), keeping the error', () => {
    const { actor, clock } = start();
    expect(actor.getSnapshot().value).toBe('backoff');
    expect(actor.getSnapshot().context).toMatchObject({ attempt: 1, lastError: 'bad url' });
    clock.increment(100);
    expect(actor.getSnapshot().context.attempt).toBe(2);
  });

  it('ends in failed once maxAttempts is used up', () => {
    const { actor, clock } = start(1);
    clock.increment(100);
    expect(actor.getSnapshot().value).toBe('failed');
  });
});

describe('backoffDelay', () => {
  const policy = { initialDelayMs: 100, maxDelayMs: 1000, multiplier: 3, jitter: 0.5 };
  it('grows geometrically and caps', () => {
    const noJitter = { ...policy, jitter: 0 };
    expect([1, 2, 3, 4].map((a) => backoffDelay(noJitter, a, 0.7))).toEqual([100, 300, 900, 1000]);
  });
  it('draws equal jitter below the computed delay, never above it', () => {
    expect(backoffDelay(policy, 2, 0)).toBe(300);
    expect(backoffDelay(policy, 2, 0.999999)).toBe(150);
    for (let r = 0; r < 1; r += 0.1) {
      const d = backoffDelay(policy, 3, r);
      expect(d).toBeGreaterThanOrEqual(450);
      expect(d).toBeLessThanOrEqual(900);
    }
  });
});
