import { afterEach, describe, expect, it, vi } from 'vitest';
import { startSimulator } from '../../simulator/index.js';
import { readiness, type SourceState } from '../../src/http/index.js';
import { RecordingClient } from '../helpers/mqtt.js';
import { body, type HttpRig, startRig } from './harness.js';

interface ReadyBody {
  status: string;
  reasons?: Record<string, string>;
  sources?: Record<string, string>;
}

const status = (
  state: string,
  symbols: Record<string, string>,
  lastError: string | null = null,
): SourceState => ({
  state,
  lastError,
  symbols,
});

describe('readiness rules', () => {
  it('a source with demand must be subscribed; the reason names its state and last error', () => {
    const wanted = { 'BTC-USD': 'pending', 'ETH-USD': 'idle' };
    expect(readiness(true, { a: status('backoff', wanted, 'connect ECONNREFUSED') })).toEqual({
      ready: false,
      reasons: { a: 'state backoff: connect ECONNREFUSED' },
    });
    expect(readiness(true, { a: status('subscribing', { 'BTC-USD': 'subscribing' }) })).toEqual({
      ready: false,
      reasons: { a: 'state subscribing' },
    });
    expect(readiness(true, { a: status('subscribed', { 'BTC-USD': 'subscribed' }) })).toEqual({
      ready: true,
      sources: { a: 'subscribed' },
    });
  });

  it('a source nobody wants never holds readiness back; a closed broker always does', () => {
    const idle = { 'BTC-USD': 'idle' };
    expect(
      readiness(true, { a: status('backoff', idle, 'down'), b: status('connecting', idle) }),
    ).toMatchObject({
      ready: true,
    });
    expect(readiness(false, {})).toEqual({
      ready: false,
      reasons: { broker: 'MQTT broker is not listening' },
    });
  });
});

describe('GET /ready against a live upstream', () => {
  let rig: HttpRig | undefined;
  let client: RecordingClient | undefined;
  afterEach(async () => {
    await client?.close();
    await rig?.close();
    client = undefined;
    rig = undefined;
  });

  const ready = async () => {
    const res = await rig!.get('/ready');
    return { code: res.status, body: await body<ReadyBody>(res) };
  };

  it('is 503 with reasons while a wanted upstream is down, and 200 again once it is back', async () => {
    rig = await startRig();
    // Without demand the connector idles connected, and that is ready.
    await vi.waitFor(async () => expect(await ready()).toMatchObject({ code: 200 }), {
      timeout: 5000,
      interval: 20,
    });

    client = await RecordingClient.connect(rig.mqttUrl);
    await client.subscribe('trades/blockchain/BTC-USD');
    await client.waitFor((m) => m.topic === 'trades/blockchain/BTC-USD', 'a trade');
    expect(await ready()).toEqual({
      code: 200,
      body: { status: 'ready', sources: { blockchain: 'subscribed' } },
    });

    const port = rig.sim.port;
    await rig.sim.close();
    await vi.waitFor(
      async () => {
        const r = await ready();
        expect(r.code).toBe(503);
        expect(r.body.status).toBe('not ready');
        expect(r.body.reasons?.blockchain).toMatch(/^state (backoff|connecting)/);
      },
      { timeout: 5000, interval: 20 },
    );
    await vi.waitFor(
      async () => expect((await ready()).body.reasons?.blockchain).toMatch(/^state backoff: .*ECONNREFUSED/),
      { timeout: 5000, interval: 20 },
    );

    rig.sim = await startSimulator({ port, rate: 50 });
    await vi.waitFor(async () => expect((await ready()).code).toBe(200), { timeout: 10_000, interval: 20 });
    const from = client.mark();
    await client.waitFor((m) => m.topic === 'trades/blockchain/BTC-USD', 'a trade after the restart', from);
  });
});
