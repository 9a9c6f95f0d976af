import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Simulator, startSimulator } from '../../simulator/index.js';
import { RecordingClient } from '../helpers/mqtt.js';
import { startTestServer } from '../helpers/server.js';

describe('server shutdown', () => {
  let sim: Simulator | undefined;
  afterEach(async () => {
    await sim?.close();
  });

  it('tells clients it is going (status stopped, server offline) and closes the upstream connection', async () => {
    sim = await startSimulator({ port: 0, rate: 50 });
    const server = await startTestServer(sim.url);
    const client = await RecordingClient.connect(`mqtt://127.0.0.1:${server.broker.port}`);
    await client.subscribe('trades/blockchain/BTC-USD', 'status/blockchain', 'dataserver/status');
    await client.waitFor((m) => m.topic.startsWith('trades/'), 'a trade');
    expect(sim.connections()).toBe(1);

    const closed = new Promise<void>((resolve) => client.client.once('close', () => resolve()));
    const from = client.mark();
    await server.stop();
    await closed;
    const stopped = client.messages
      .slice(from)
      .filter((m) => m.topic === 'status/blockchain')
      .map((m) => client.json(m).state);
    expect(stopped.at(-1)).toBe('stopped');
    const offline = client.messages.slice(from).find((m) => m.topic === 'dataserver/status');
    expect(offline && client.json(offline).state).toBe('offline');
    await vi.waitFor(() => expect(sim?.connections()).toBe(0), { timeout: 5000 });
    await client.close();
  });

  it('is idempotent', async () => {
    sim = await startSimulator({ port: 0 });
    const server = await startTestServer(sim.url);
    await Promise.all([server.stop(), server.stop()]);
    await server.stop();
  });
});
