import { describe, expect, it } from 'vitest';
import { type AnyActorRef, createActor, fromCallback, SimulatedClock } from 'xstate';
import { connectorMachine, type SupervisedSource, supervisorMachine } from '../../machines/index.js';
import type { TransportCommand, TransportEvent, TransportInput } from '../../src/domain/index.js';

const source = (id: string, extra: Partial<SupervisedSource> = {}): SupervisedSource => ({
  sourceId: id,
  kind: 'blockchain',
  url: 'ws://127.0.0.1:1/ws',
  token: '',
  staleAfterMs: 15_000,
  symbols: ['BTC-USD', 'ETH-USD'],
  backoff: { initialDelayMs: 1000, maxDelayMs: 8000, multiplier: 2, jitter: 0 },
  alwaysOn: false,
  lingerMs: 2000,
  ...extra,
});

function start(sources: SupervisedSource[]) {
  const transport = fromCallback<TransportCommand, TransportInput, TransportEvent>(() => () => {});
  const clock = new SimulatedClock();
  const machine = supervisorMachine.provide({
    actors: { connector: connectorMachine.provide({ actors: { transport } }) },
  });
  const actor = createActor(machine, { clock, input: { sources } }).start();
  const child = (id: string): AnyActorRef | undefined => actor.getSnapshot().children[id];
  const wanted = (id: string): string[] => child(id)?.getSnapshot().context.wanted;
  const refcount = () => actor.system.get('subscriptions') as AnyActorRef;
  const client = (clientId: string) => ({
    subscribe: (...filters: string[]) => refcount().send({ type: 'CLIENT.SUBSCRIBE', clientId, filters }),
    unsubscribe: (...filters: string[]) => refcount().send({ type: 'CLIENT.UNSUBSCRIBE', clientId, filters }),
    disconnect: () => refcount().send({ type: 'CLIENT.DISCONNECT', clientId }),
  });
  return { actor, clock, child, wanted, client };
}

describe('supervisor and refcount actors', () => {
  it('spawn one connector per source and one refcount actor', () => {
    const s = start([source('a'), source('b')]);
    expect(Object.keys(s.actor.getSnapshot().children).sort()).toEqual(['a', 'b', 'subscriptions']);
    expect(s.wanted('a')).toEqual([]);
  });

  it('route demand from MQTT filters, wildcards included, to the matching connectors', () => {
    const s = start([source('a'), source('b')]);
    s.client('c1').subscribe('trades/+/BTC-USD');
    expect(s.wanted('a')).toEqual(['BTC-USD']);
    expect(s.wanted('b')).toEqual(['BTC-USD']);
    s.client('c2').subscribe('trades/b/#');
    expect(s.wanted('a')).toEqual(['BTC-USD']);
    expect(s.wanted('b')).toEqual(['BTC-USD', 'ETH-USD']);
    s.client('c3').subscribe('status/#', 'trades/zzz/BTC-USD');
    expect(s.wanted('a')).toEqual(['BTC-USD']);
  });

  it('count a client once however often it subscribes, and release after the last holder plus linger', () => {
    const s = start([source('a')]);
    s.client('c1').subscribe('trades/a/BTC-USD');
    s.client('c1').subscribe('trades/a/BTC-USD');
    s.client('c2').subscribe('trades/a/+');
    s.client('c1').unsubscribe('trades/a/BTC-USD');
    expect(s.wanted('a')).toEqual(['BTC-USD', 'ETH-USD']);
    s.client('c2').disconnect();
    expect(s.wanted('a')).toEqual(['BTC-USD', 'ETH-USD']);
    s.clock.increment(1999);
    expect(s.wanted('a')).toEqual(['BTC-USD', 'ETH-USD']);
    s.clock.increment(1);
    expect(s.wanted('a')).toEqual([]);
  });

  it('keep demand when a holder comes back within the linger', () => {
    const s = start([source('a')]);
    s.client('c1').subscribe('trades/a/BTC-USD');
    s.client('c1').disconnect();
    s.clock.increment(1500);
    s.client('c1').subscribe('trades/a/BTC-USD');
    s.clock.increment(5000);
    expect(s.wanted('a')).toEqual(['BTC-USD']);
  });

  it('keep every symbol of an alwaysOn source subscribed without any client', () => {
    const s = start([source('a', { alwaysOn: true }), source('b')]);
    expect(s.wanted('a')).toEqual(['BTC-USD', 'ETH-USD']);
    expect(s.wanted('b')).toEqual([]);
  });

  it('spawn a source added at run time, with the demand existing filters imply, and stop a removed one', () => {
    const s = start([source('a')]);
    s.client('c1').subscribe('trades/#');
    s.actor.send({ type: 'SOURCE.ADD', source: source('late', { symbols: ['SOL-USD'] }) });
    expect(s.wanted('late')).toEqual(['SOL-USD']);
    const removed = s.child('late');
    s.actor.send({ type: 'SOURCE.REMOVE', id: 'late' });
    expect(removed?.getSnapshot().value).toBe('stopped');
    expect(s.actor.getSnapshot().context.sources).not.toHaveProperty('late');

    s.actor.send({ type: 'SOURCE.ADD', source: source('late', { symbols: ['SOL-USD'] }) });
    expect(s.child('late')).not.toBe(removed);
    expect(s.child('late')?.getSnapshot().status).toBe('active');
    expect(s.wanted('late')).toEqual(['SOL-USD']);
  });

  it('ignore a duplicate source id', () => {
    const s = start([source('a')]);
    const before = s.child('a');
    s.actor.send({ type: 'SOURCE.ADD', source: source('a', { symbols: ['X'] }) });
    expect(s.child('a')).toBe(before);
  });

  it('stop every connector on shutdown', () => {
    const s = start([source('a'), source('b')]);
    const children = [s.child('a'), s.child('b')];
    s.actor.send({ type: 'SHUTDOWN' });
    for (const c of children) expect(c?.getSnapshot().value).toBe('stopped');
  });

  it('replace a connector that fails with a fresh one holding the same demand, leaving the others alone', () => {
    const transport = fromCallback<TransportCommand, TransportInput, TransportEvent>(() => () => {});
    // A connector with a bug: acknowledging a subscription throws.
    const broken = connectorMachine.provide({
      actors: { transport },
      actions: {
        applyControl: () => {
          throw new Error('bug in a connector');
        },
      },
    });
    const actor = createActor(supervisorMachine.provide({ actors: { connector: broken } }), {
      input: { sources: [source('a'), source('b')] },
    }).start();
    (actor.system.get('subscriptions') as AnyActorRef).send({
      type: 'CLIENT.SUBSCRIBE',
      clientId: 'c1',
      filters: ['trades/+/BTC-USD'],
    });
    const first = actor.getSnapshot().children.a as AnyActorRef;
    const other = actor.getSnapshot().children.b as AnyActorRef;
    first.send({ type: 'UPSTREAM.SUBSCRIBED', symbol: 'BTC-USD' });

    expect(first.getSnapshot().status).toBe('error');
    expect(actor.getSnapshot().status).toBe('active');
    const replacement = actor.getSnapshot().children.a as AnyActorRef;
    expect(replacement).not.toBe(first);
    expect(replacement.getSnapshot().status).toBe('active');
    expect(replacement.getSnapshot().context.wanted).toEqual(['BTC-USD']);
    expect(actor.getSnapshot().context.restarts).toEqual({ a: 1 });
    expect(actor.getSnapshot().children.b).toBe(other);
    expect(other.getSnapshot().status).toBe('active');
  });
});
