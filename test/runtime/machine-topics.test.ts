import { afterEach, describe, expect, it, vi } from 'vitest';
import { type AnyActorRef, createActor, createMachine, fromCallback } from 'xstate';
import { connectorMachine, type SupervisedSource, supervisorMachine } from '../../machines/index.js';
import type { TransportCommand, TransportEvent, TransportInput } from '../../src/domain/index.js';
import { sourceSchema } from '../../src/runtime/index.js';
import {
  activeStatePaths,
  type MachinePayload,
  type MachineTopics,
  publishMachineTopics,
} from '../../src/runtime/machine-topics.js';
import { toSupervisedSource } from '../../src/runtime/sources.js';

/** Every retained publish, in order: `payload` is '' for a clear. */
interface Published {
  topic: string;
  payload: string;
}

/** A source as the config makes it (defaults included), with no linger. */
const source = (id: string): SupervisedSource =>
  toSupervisedSource(sourceSchema.parse({ id, url: 'ws://127.0.0.1:1/ws', lingerMs: 0 }));

/** A transport that opens at once and acknowledges every subscribe: no network. */
const instantTransport = fromCallback<TransportCommand, TransportInput, TransportEvent>(
  ({ sendBack, receive }) => {
    sendBack({ type: 'TRANSPORT.OPEN' });
    receive((command) => {
      if (command.type === 'SUBSCRIBE')
        for (const symbol of command.symbols) sendBack({ type: 'UPSTREAM.SUBSCRIBED', symbol });
      if (command.type === 'UNSUBSCRIBE')
        for (const symbol of command.symbols) sendBack({ type: 'UPSTREAM.UNSUBSCRIBED', symbol });
    });
    return () => {};
  },
);

describe('activeStatePaths', () => {
  const machine = createMachine({
    id: 'm',
    initial: 'a',
    states: {
      a: {
        type: 'parallel',
        states: {
          left: { initial: 'x', states: { x: {}, y: {} } },
          right: { initial: 'y', states: { x: {}, y: {} } },
        },
      },
      b: {},
    },
  });

  it('lists compound and atomic paths in the order of the chart, not of the value', () => {
    expect(activeStatePaths(machine.root, { a: { right: 'y', left: 'x' } })).toEqual([
      'a',
      'a.left',
      'a.left.x',
      'a.right',
      'a.right.y',
    ]);
    expect(activeStatePaths(machine.root, 'b')).toEqual(['b']);
  });

  it('gives the connector chart the paths its diagram uses', () => {
    expect(activeStatePaths(connectorMachine.root, { session: 'subscribed' })).toEqual([
      'session',
      'session.subscribed',
    ]);
    expect(activeStatePaths(connectorMachine.root, 'backoff')).toEqual(['backoff']);
  });
});

describe('publishMachineTopics', () => {
  const running: Array<{ stop(): void }> = [];
  afterEach(() => {
    for (const r of running.reverse()) r.stop();
    running.length = 0;
  });

  function start(
    sources: SupervisedSource[],
    connector: typeof connectorMachine = connectorMachine.provide({
      actors: { transport: instantTransport },
    }),
  ) {
    const published: Published[] = [];
    const supervisor = createActor(supervisorMachine.provide({ actors: { connector } }), {
      input: { sources },
    });
    supervisor.start();
    const topics: MachineTopics = publishMachineTopics({
      supervisor,
      publish: (topic, payload) => published.push({ topic, payload }),
      now: () => new Date('2026-11-27T10:00:00.000Z'),
    });
    running.push(topics, supervisor);
    const last = (topic: string): MachinePayload | '' | undefined => {
      const m = published.findLast((p) => p.topic === topic);
      return m === undefined ? undefined : m.payload === '' ? '' : (JSON.parse(m.payload) as MachinePayload);
    };
    const subscriptions = () => supervisor.system.get('subscriptions') as AnyActorRef;
    return { supervisor, topics, published, last, subscriptions };
  }

  it('publishes one payload per actor at once, in the shape of interface B', () => {
    const { last, published } = start([source('blockchain')]);
    expect(published.map((p) => p.topic).sort()).toEqual([
      'machines/blockchain',
      'machines/subscriptions',
      'machines/supervisor',
    ]);
    expect(last('machines/supervisor')).toEqual({
      actorId: 'supervisor',
      machine: 'supervisor',
      value: 'running',
      states: ['running'],
      status: 'active',
      context: { sources: ['blockchain'], demand: { blockchain: [] }, restarts: {} },
      at: '2026-11-27T10:00:00.000Z',
    });
    expect(last('machines/subscriptions')).toMatchObject({
      machine: 'subscriptions',
      value: 'counting',
      states: ['counting'],
      context: { demand: { blockchain: [] }, clients: 0 },
    });
    expect(last('machines/blockchain')).toEqual({
      actorId: 'blockchain',
      machine: 'connector',
      value: { session: 'subscribed' },
      states: ['session', 'session.subscribed'],
      status: 'active',
      context: {
        source: 'blockchain',
        kind: 'blockchain',
        attempt: 0,
        sessions: 1,
        lastError: null,
        retryDelayMs: 0,
        nextRetryAt: null,
        symbols: { 'BTC-USD': 'idle', 'ETH-USD': 'idle' },
      },
      at: '2026-11-27T10:00:00.000Z',
    });
  });

  it('publishes again only when the payload changes, and counts only clients that hold a trade topic', () => {
    const { topics, published, last, subscriptions } = start([source('blockchain')]);
    const before = published.length;
    // A non-trade filter changes the actor's context but nothing a viewer sees.
    subscriptions().send({ type: 'CLIENT.SUBSCRIBE', clientId: 'dashboard', filters: ['machines/#'] });
    topics.flush();
    expect(published.slice(before)).toEqual([]);

    subscriptions().send({ type: 'CLIENT.SUBSCRIBE', clientId: 'bot', filters: ['trades/+/ETH-USD'] });
    topics.flush();
    expect(last('machines/subscriptions')).toMatchObject({
      context: { demand: { blockchain: ['ETH-USD'] }, clients: 1 },
    });
    expect(last('machines/supervisor')).toMatchObject({ context: { demand: { blockchain: ['ETH-USD'] } } });
    expect(last('machines/blockchain')).toMatchObject({
      context: { symbols: { 'BTC-USD': 'idle', 'ETH-USD': 'subscribed' } },
    });
    const after = published.length;
    subscriptions().send({
      type: 'CLIENT.SUBSCRIBE',
      clientId: 'bot',
      filters: ['trades/blockchain/ETH-USD'],
    });
    topics.flush();
    expect(published.slice(after)).toEqual([]);
  });

  it('coalesces a burst of changes into one publish per actor', async () => {
    const { published, subscriptions } = start([source('blockchain')]);
    const before = published.length;
    for (let i = 0; i < 50; i++) {
      subscriptions().send({ type: 'CLIENT.SUBSCRIBE', clientId: `c${i}`, filters: ['trades/#'] });
    }
    await vi.waitFor(() => expect(published.length).toBeGreaterThan(before));
    const topicsOfBurst = published.slice(before).map((p) => p.topic);
    expect(topicsOfBurst.filter((t) => t === 'machines/subscriptions')).toHaveLength(1);
    expect(
      JSON.parse(published.findLast((p) => p.topic === 'machines/subscriptions')!.payload),
    ).toMatchObject({
      context: { clients: 50 },
    });
  });

  it('follows a source added at run time, and clears a removed one after its final state', () => {
    const { supervisor, topics, published, last } = start([source('blockchain')]);
    supervisor.send({ type: 'SOURCE.ADD', source: source('extra') });
    topics.flush();
    expect(last('machines/extra')).toMatchObject({
      machine: 'connector',
      states: ['session', 'session.subscribed'],
    });
    expect(last('machines/supervisor')).toMatchObject({ context: { sources: ['blockchain', 'extra'] } });

    const before = published.length;
    supervisor.send({ type: 'SOURCE.REMOVE', id: 'extra' });
    topics.flush();
    const extra = published.slice(before).filter((p) => p.topic === 'machines/extra');
    expect(extra.map((p) => (p.payload === '' ? '' : JSON.parse(p.payload).value))).toEqual(['stopped', '']);
    expect(JSON.parse(extra[0]!.payload)).toMatchObject({ status: 'done', states: ['stopped'] });
    expect(last('machines/supervisor')).toMatchObject({ context: { sources: ['blockchain'] } });

    // Never published again, whatever else changes.
    const extraCount = published.filter((p) => p.topic === 'machines/extra').length;
    supervisor.send({ type: 'SOURCE.ADD', source: source('other') });
    topics.flush();
    expect(published.filter((p) => p.topic === 'machines/extra')).toHaveLength(extraCount);

    // The same id added again is a new connector with its own topic.
    supervisor.send({ type: 'SOURCE.ADD', source: source('extra') });
    topics.flush();
    expect(last('machines/extra')).toMatchObject({
      status: 'active',
      states: ['session', 'session.subscribed'],
    });
  });

  it('follows the connector the supervisor starts in place of a failed one', () => {
    let failures = 0;
    // The first connector fails on its first open (an uncaught error in an action); its replacement does not.
    const flaky = connectorMachine.provide({
      actors: { transport: instantTransport },
      actions: {
        countSession: () => {
          if (failures++ === 0) throw new Error('bug in the connector');
        },
      },
    });
    const { supervisor, topics, last } = start([source('blockchain')], flaky);
    topics.flush();
    expect(failures).toBe(2);
    expect(supervisor.getSnapshot().context.restarts).toEqual({ blockchain: 1 });
    expect(last('machines/supervisor')).toMatchObject({ context: { restarts: { blockchain: 1 } } });
    expect(last('machines/blockchain')).toMatchObject({
      status: 'active',
      states: ['session', 'session.subscribed'],
    });
  });

  it('publishes the final states when stopped, and nothing after', () => {
    const { supervisor, topics, published, last } = start([source('blockchain')]);
    supervisor.send({ type: 'SHUTDOWN' });
    topics.stop();
    expect(last('machines/supervisor')).toMatchObject({ value: 'stopped', states: ['stopped'] });
    expect(last('machines/blockchain')).toMatchObject({ value: 'stopped', status: 'done' });
    const count = published.length;
    supervisor.send({ type: 'SOURCE.ADD', source: source('late') });
    topics.flush();
    expect(published).toHaveLength(count);
  });
});
