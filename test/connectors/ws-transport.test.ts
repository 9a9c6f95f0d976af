import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocketServer } from 'ws';
import { createActor } from 'xstate';
import { createWsTransport } from '../../src/connectors/index.js';
import type { Trade } from '../../src/domain/index.js';
import { silentLogger } from '../helpers/server.js';

const FRAMES = 5_000;

const frame = (i: number) =>
  JSON.stringify({
    seqnum: i,
    event: 'updated',
    channel: 'trades',
    symbol: 'BTC-USD',
    timestamp: '2026-11-27T10:00:00.000000Z',
    side: 'buy',
    qty: 0.5,
    price: 50_000,
    trade_id: `t${i}`,
  });

describe('ws transport backpressure', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanup.splice(0)) c();
  });

  it('pauses reading while the consumer is saturated, then delivers every trade once, in order', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(wss, 'listening');
    cleanup.push(() => wss.close());
    wss.on('connection', (ws) => {
      for (let i = 0; i < FRAMES; i++) ws.send(frame(i));
    });

    const trades: Trade[] = [];
    let resumeReading: (() => void) | undefined;
    let pauses = 0;
    // Saturated from the 100th trade until the test lets it drain.
    const flow = {
      get saturated() {
        return trades.length >= 100 && resumeReading === undefined && pauses === 0;
      },
      whenDrained(resume: () => void) {
        pauses++;
        resumeReading = resume;
      },
    };
    const transport = createWsTransport({
      logger: silentLogger,
      flow,
      sink: () => ({ trade: (t) => trades.push(t), bad: () => {}, duplicate: () => {} }),
    });
    const actor = createActor(transport, {
      input: {
        sourceId: 'venue',
        kind: 'blockchain',
        url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
        token: '',
        staleAfterMs: 60_000,
        symbols: ['BTC-USD'],
      },
    });
    actor.start();
    cleanup.push(() => actor.stop());

    await vi.waitFor(() => expect(pauses).toBe(1), { timeout: 10_000, interval: 5 });
    resumeReading?.();
    await vi.waitFor(() => expect(trades.length).toBe(FRAMES), { timeout: 10_000, interval: 5 });
    expect(trades.map((t) => t.tradeId)).toEqual(Array.from({ length: FRAMES }, (_, i) => `t${i}`));
  });
});
