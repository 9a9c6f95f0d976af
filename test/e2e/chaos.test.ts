import { afterAll, describe, expect, it, vi } from 'vitest';
import { type Fault, type Simulator, startSimulator } from '../../simulator/index.js';
import type { DataServer } from '../../src/runtime/index.js';
import { type Received, RecordingClient } from '../helpers/mqtt.js';
import { startTestServer } from '../helpers/server.js';

/**
 * Chaos: a real simulator, a real server and a real MQTT client through a scripted run of faults
 * of every kind. Every trade the simulator wrote to a subscribed connection must reach the client
 * exactly once; every fault must be visible; the server must ride through all of it.
 */
const SYMBOLS = ['BTC-USD', 'ETH-USD'];

interface Step {
  name: string;
  /** Drops the connection: quiesce first so that nothing is in flight when it happens. */
  drops: boolean;
  faults: Fault[];
  /** Expected per-symbol state once the connector is subscribed again (default all subscribed). */
  after?: Record<string, string>;
}

const STEPS: Step[] = [
  { name: 'garbage', drops: false, faults: [{ kind: 'garbage', count: 8 }] },
  { name: 'abrupt drop', drops: true, faults: [{ kind: 'abrupt' }] },
  { name: 'graceful close', drops: true, faults: [{ kind: 'graceful' }] },
  { name: 'outage (refuse 0.4 s)', drops: true, faults: [{ kind: 'refuse', seconds: 0.4 }] },
  { name: 'zombie socket (stall)', drops: true, faults: [{ kind: 'stall', seconds: 3 }] },
  { name: 'replay on resubscribe', drops: true, faults: [{ kind: 'replay', count: 5 }, { kind: 'abrupt' }] },
  { name: 'seqnum gap', drops: true, faults: [{ kind: 'gap' }] },
  {
    name: 'rejected symbol',
    drops: true,
    faults: [{ kind: 'reject', symbol: 'ETH-USD' }, { kind: 'graceful' }],
    after: { 'BTC-USD': 'subscribed', 'ETH-USD': 'rejected' },
  },
  { name: 'rejected symbol retried', drops: true, faults: [{ kind: 'abrupt' }] },
  { name: 'garbage again', drops: false, faults: [{ kind: 'garbage', count: 20 }] },
  {
    name: 'replay + outage',
    drops: true,
    faults: [
      { kind: 'replay', count: 3 },
      { kind: 'refuse', seconds: 0.2 },
    ],
  },
  { name: 'stall again', drops: true, faults: [{ kind: 'stall', seconds: 3 }] },
];

describe('chaos: every fault kind, nothing lost, nothing doubled', () => {
  let sim: Simulator;
  let server: DataServer;
  let client: RecordingClient;
  const figures: Record<string, number | string> = {};

  afterAll(async () => {
    await client?.close();
    await server?.stop();
    await sim?.close();
    console.log(`chaos: ${JSON.stringify(figures)}`);
  });

  it('delivers every trade sent on a subscribed connection exactly once through 12 faults', async () => {
    sim = await startSimulator({
      port: 0,
      rate: 40,
      heartbeatIntervalMs: 100,
      recordSent: true,
      symbols: SYMBOLS,
    });
    server = await startTestServer(sim.url, { staleAfterMs: 800 });
    const startedAt = server.startedAt;
    client = await RecordingClient.connect(`mqtt://127.0.0.1:${server.broker.port}`);
    await client.subscribe('trades/blockchain/+', 'status/blockchain', 'events/blockchain');

    const isTrade = (m: Received) => m.topic.startsWith('trades/');
    const status = (m: Received) => (m.topic === 'status/blockchain' ? client.json(m) : undefined);
    const subscribedAs = (symbols: Record<string, string>) => (m: Received) => {
      const s = status(m);
      return s?.state === 'subscribed' && JSON.stringify(s.symbols) === JSON.stringify(symbols);
    };
    const allSubscribed = Object.fromEntries(SYMBOLS.map((s) => [s, 'subscribed']));
    await client.waitFor(subscribedAs(allSubscribed), 'first subscribed');
    await client.waitForCount(isTrade, 10, 'first trades');

    const badFrames = () =>
      Object.values(server.sourceStats('blockchain')?.badFrames ?? {}).reduce((a, b) => a + b, 0);

    /** Waits until the client holds every trade the simulator has sent (so nothing is in flight). */
    const drained = async (what: string) => {
      const sent = new Set(
        sim
          .sent()
          .filter((t) => !t.replay)
          .map((t) => t.tradeId),
      );
      await client.waitFor(
        () => {
          const got = new Set(client.messages.filter(isTrade).map((m) => client.json(m).tradeId as string));
          for (const id of sent) if (!got.has(id)) return false;
          return true;
        },
        `${what}: all ${sent.size} sent trades delivered`,
        0,
        10_000,
      );
    };

    let worstRecoveryMs = 0;
    let worstToTradeMs = 0;
    const recovery: Record<string, number> = {};
    for (const step of STEPS) {
      const from = client.mark();
      if (step.drops) {
        sim.fault({ kind: 'quiet', seconds: 30 });
        await drained(step.name);
      }
      const faultAt = Date.now();
      for (const fault of step.faults) sim.fault(fault);
      if (!step.drops) {
        // Garbage rides on the trades that follow: wait until the server has counted all of it.
        const expected =
          badFrames() + step.faults.reduce((n, f) => n + ('count' in f ? (f.count ?? 0) : 0), 0);
        await vi.waitFor(() => expect(badFrames()).toBeGreaterThanOrEqual(expected), { timeout: 10_000 });
        continue;
      }

      await client.waitFor((m) => status(m)?.state === 'backoff', `${step.name}: status backoff`, from);
      const lost = await client.waitFor(
        (m) => m.topic === 'events/blockchain' && client.json(m).method === 'connection.lost',
        `${step.name}: connection.lost`,
        from,
      );
      expect(client.json(lost).params).toMatchObject({ source: 'blockchain', reason: expect.any(String) });
      const back = step.after ?? allSubscribed;
      const up = await client.waitFor(subscribedAs(back), `${step.name}: subscribed again`, from, 15_000);
      await client.waitFor(
        (m) => m.topic === 'events/blockchain' && client.json(m).method === 'connection.restored',
        `${step.name}: connection.restored`,
        from,
      );
      sim.fault({ kind: 'quiet', seconds: 0 });
      const resumedAt = Date.now();
      const again = await client.waitForCount(
        (m) => isTrade(m) && m.index > up.index,
        10,
        `${step.name}: trades again`,
        from,
      );
      // Recovery: from the upstream being reachable again (after an outage's window; at once
      // otherwise, so detection of a stall and the backoff count) to subscribed, and to the
      // first trade delivered once the market trades again.
      const refused = step.faults.find((f) => f.kind === 'refuse');
      const upstreamBack = faultAt + (refused && 'seconds' in refused ? (refused.seconds ?? 0) * 1000 : 0);
      const ms = up.at - upstreamBack;
      recovery[step.name] = ms;
      worstRecoveryMs = Math.max(worstRecoveryMs, ms);
      worstToTradeMs = Math.max(worstToTradeMs, (again[0] as Received).at - resumedAt);
    }
    sim.fault({ kind: 'quiet', seconds: 30 });
    await drained('the end');

    const sent = sim.sent();
    const original = sent.filter((t) => !t.replay);
    const delivered = client.messages.filter(isTrade).map((m) => client.json(m).tradeId as string);
    const deliveredSet = new Set(delivered);
    const lostIds = original.filter((t) => !deliveredSet.has(t.tradeId));
    figures.faults = STEPS.reduce((n, s) => n + s.faults.length, 0);
    figures.sent = original.length;
    figures.replayed = sent.length - original.length;
    figures.delivered = delivered.length;
    figures.lost = lostIds.length;
    figures.duplicates = delivered.length - deliveredSet.size;
    figures.worstRecoveryToSubscribedMs = worstRecoveryMs;
    figures.worstResumeToTradeMs = worstToTradeMs;
    figures.recoveryMs = JSON.stringify(recovery);
    figures.dedupDropped = server.pipeline.stats.duplicates;
    figures.badFrames = JSON.stringify(server.sourceStats('blockchain')?.badFrames ?? {});

    expect(lostIds).toEqual([]);
    expect(delivered.length).toBe(deliveredSet.size);
    expect(sent.length - original.length).toBeGreaterThan(0); // replays happened, and were absorbed
    expect(server.pipeline.stats.duplicates).toBeGreaterThanOrEqual(sent.length - original.length);
    expect(badFrames()).toBeGreaterThanOrEqual(28);
    const gaps = client.messages.filter(
      (m) => m.topic === 'events/blockchain' && client.json(m).method === 'gap.detected',
    );
    expect(gaps).toHaveLength(1);
    // The server rode through it all: same process, same start, still subscribed.
    expect(server.startedAt).toBe(startedAt);
    expect(server.statuses().blockchain).toMatchObject({ state: 'subscribed', symbols: allSubscribed });
  });
});
