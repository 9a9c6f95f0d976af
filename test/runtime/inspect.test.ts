import type { AddressInfo } from 'node:net';
import * as inspectLib from '@statelyai/inspect';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocketServer } from 'ws';
import { startSimulator } from '../../simulator/index.js';
import { createServer, type DataServer } from '../../src/runtime/index.js';
import { createSafeInspector, redact, startInspector } from '../../src/runtime/inspect.js';
import { RecordingClient } from '../helpers/mqtt.js';
import { FAST_BACKOFF, loopbackConfig, silentLogger } from '../helpers/server.js';

const TOKEN = 'tok-never-leaves-the-process';

/** What these tests read of a Stately inspection event. */
interface Inspected {
  type: string;
  name?: string;
  sessionId: string;
  parentId?: string;
  event?: { type: string };
  snapshot?: { value?: unknown; status?: string; context?: unknown };
}

/** The test config, with a token on the source so the tests can look for it in what leaves. */
const config = (url: string) =>
  loopbackConfig([
    {
      id: 'blockchain',
      url,
      token: TOKEN,
      symbols: ['BTC-USD', 'ETH-USD'],
      backoff: FAST_BACKOFF,
      lingerMs: 0,
    },
  ]);

/** Session ids of the actors by name (`supervisor`, `subscriptions`, a connector's source id). */
function actorsByName(events: readonly Inspected[]): Record<string, string> {
  return Object.fromEntries(
    events.filter((e) => e.type === '@xstate.actor').map((e) => [e.name ?? '', e.sessionId]),
  );
}

/** Waits until the recorded events show the whole system live: each actor, the connector subscribed. */
async function waitForLiveSystem(events: readonly Inspected[]): Promise<Record<string, string>> {
  let actors: Record<string, string> = {};
  await vi.waitFor(
    () => {
      actors = actorsByName(events);
      // Invoked actors (the connector's `transport`) are announced too.
      expect(Object.keys(actors)).toEqual(
        expect.arrayContaining(['blockchain', 'subscriptions', 'supervisor']),
      );
      const subscribed = events.some(
        (e) =>
          e.type === '@xstate.snapshot' &&
          e.sessionId === actors.blockchain &&
          JSON.stringify(e.snapshot?.value) === '{"session":"subscribed"}',
      );
      expect(subscribed, 'a snapshot of the connector in session.subscribed').toBe(true);
    },
    { timeout: 10_000, interval: 10 },
  );
  return actors;
}

describe('serve --inspect: the live actor system reaches a Stately inspector', () => {
  const open: Array<{ close(): Promise<void> } | DataServer | { stop(): void }> = [];
  afterEach(async () => {
    for (const thing of open.reverse()) {
      if ('close' in thing) await thing.close();
      else await thing.stop();
    }
    open.length = 0;
  });

  it('sends actor, event and snapshot events of the supervisor, a connector and the refcount actor', async () => {
    const sim = await startSimulator({ port: 0, rate: 50 });
    open.push(sim);
    const events: Inspected[] = [];
    const raw: string[] = [];
    const inspector = createSafeInspector(inspectLib, (event) => {
      raw.push(JSON.stringify(event));
      events.push(event as unknown as Inspected);
    });
    const server = await createServer(config(sim.url), silentLogger, { inspect: inspector.inspect });
    open.push(server);

    const actors = await waitForLiveSystem(events);
    const parentOf = (name: string) => events.find((e) => e.sessionId === actors[name])?.parentId;
    expect(parentOf('blockchain')).toBe(actors.supervisor);
    expect(parentOf('subscriptions')).toBe(actors.supervisor);

    // An MQTT subscription becomes an event to the refcount actor, and demand an event to the connector.
    const client = await RecordingClient.connect(`mqtt://127.0.0.1:${server.broker.port}`);
    open.push(client);
    await client.subscribe('trades/blockchain/BTC-USD');
    await vi.waitFor(
      () => {
        const to = (name: string, type: string) =>
          events.some(
            (e) => e.type === '@xstate.event' && e.sessionId === actors[name] && e.event?.type === type,
          );
        expect(to('subscriptions', 'CLIENT.SUBSCRIBE')).toBe(true);
        expect(to('supervisor', 'DEMAND.CHANGED')).toBe(true);
        expect(to('blockchain', 'DEMAND')).toBe(true);
      },
      { timeout: 10_000, interval: 10 },
    );
    await client.waitForCount((m) => m.topic === 'trades/blockchain/BTC-USD', 5, 'BTC-USD trades');

    // What leaves the process is plain JSON, without the source's token.
    expect(raw.join('\n')).not.toContain(TOKEN);
    const init = events.find(
      (e) =>
        e.type === '@xstate.event' && e.sessionId === actors.blockchain && e.event?.type === 'xstate.init',
    );
    expect(JSON.stringify(init?.event)).toContain('"token":"[redacted]"');
  });

  it('streams them to a WebSocket receiver given by URL (what --inspect-url does)', async () => {
    const receiver = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => receiver.once('listening', () => resolve()));
    open.push({ close: () => new Promise<void>((resolve) => receiver.close(() => resolve())) });
    const events: Inspected[] = [];
    receiver.on('connection', (socket) =>
      socket.on('message', (data) => events.push(JSON.parse(String(data)) as Inspected)),
    );
    const url = `ws://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

    const sim = await startSimulator({ port: 0, rate: 50 });
    open.push(sim);
    const inspector = await startInspector({ logger: silentLogger, url });
    open.push(inspector);
    expect(inspector.where).toBe(url);
    const server = await createServer(config(sim.url), silentLogger, { inspect: inspector.inspect });
    open.push(server);

    await waitForLiveSystem(events);
    expect(JSON.stringify(events)).not.toContain(TOKEN);
  });

  it('is off unless asked for: the runtime reaches the package only by a dynamic import', async () => {
    const { readdir, readFile } = await import('node:fs/promises');
    for (const dir of ['runtime', 'cli']) {
      const base = new URL(`../../src/${dir}/`, import.meta.url);
      for (const file of await readdir(base)) {
        if (!file.endsWith('.ts')) continue;
        const text = await readFile(new URL(file, base), 'utf8');
        // `import type` is erased at build time; only `await import(...)` loads it.
        const loads = text
          .split('\n')
          .filter(
            (l) =>
              l.includes("'@statelyai/inspect") && !/import type|typeof import\(|type \w+ = import\(/.test(l),
          );
        expect(loads, `${dir}/${file}`).toEqual(
          file === 'inspect.ts' ? ["  const lib = await import('@statelyai/inspect');"] : [],
        );
      }
    }
  });
});

describe('redact', () => {
  it('blanks secrets and URL credentials, and cuts cycles and actor references', () => {
    const cyclic: Record<string, unknown> = { name: 'x' };
    cyclic.self = cyclic;
    class FakeActor {
      id = 'blockchain';
    }
    expect(
      redact({
        source: { token: 'abc', url: 'wss://user:pw@venue.example/ws', empty: { token: '' } },
        list: [1, 'two', null],
        cyclic,
        child: new FakeActor(),
        when: new Date('2026-11-27T10:00:00.000Z'),
      }),
    ).toEqual({
      source: { token: '[redacted]', url: 'wss://venue.example/ws', empty: { token: '' } },
      list: [1, 'two', null],
      cyclic: { name: 'x', self: '[…]' },
      child: '[actor blockchain]',
      when: '2026-11-27T10:00:00.000Z',
    });
  });
});
