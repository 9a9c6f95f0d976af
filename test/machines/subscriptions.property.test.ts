import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AnyActorRef, createActor, fromCallback, SimulatedClock } from 'xstate';
import { connectorMachine, type SupervisedSource, supervisorMachine } from '../../machines/index.js';
import type { TransportCommand, TransportEvent, TransportInput } from '../../src/domain/index.js';

/**
 * Property test of the refcount actor (CONTRACT §4), driven through the supervisor so that what is
 * checked is the demand the connectors were last told (their `wanted`), against an independent model:
 * clientId → filters, an MQTT matcher of its own, and the time each pair was last released.
 */

const source = (id: string, symbols: string[], alwaysOn: boolean, lingerMs: number): SupervisedSource => ({
  sourceId: id,
  kind: 'blockchain',
  url: 'ws://127.0.0.1:1/ws',
  token: '',
  staleAfterMs: 15_000,
  symbols,
  backoff: { initialDelayMs: 1000, maxDelayMs: 8000, multiplier: 2, jitter: 0 },
  alwaysOn,
  lingerMs,
});

const SOURCES: Record<string, SupervisedSource> = {
  a: source('a', ['BTC-USD', 'ETH-USD'], true, 1000),
  b: source('b', ['BTC-USD', 'SOL-USD'], false, 0),
  c: source('c', ['ETH-USD', 'SOL-USD', 'XRP-USD'], false, 2000),
  // Not there at start: added (and removed) at run time.
  d: source('d', ['BTC-USD', 'DOGE-USD'], false, 500),
};
const INITIAL = ['a', 'b', 'c'];
const MAX_LINGER = Math.max(...Object.values(SOURCES).map((s) => s.lingerMs));
const CLIENTS = ['c1', 'c2', 'c3', 'c4', 'c5'];

/** Exact topics, one-level and multi-level wildcards, non-trade filters, unknown sources/symbols, non-matches. */
const NARROW_FILTERS = [
  'trades/b/BTC-USD',
  'trades/c/XRP-USD',
  'trades/d/DOGE-USD',
  'trades/a/ETH-USD',
  'trades/+/BTC-USD',
  'trades/+/SOL-USD',
  'trades/c/+',
  'trades/d/#',
  '+/c/ETH-USD',
  'status/#',
  'status/b',
  'trades/zzz/BTC-USD',
  'trades/b/DOGE-USD',
  'trades/b',
  'trades/+',
  'trades/b/BTC-USD/extra',
  'trades/+/+/+',
];
const BROAD_FILTERS = ['trades/#', '#', '+/#', 'trades/+/+', 'trades/c/#'];

// ---------------------------------------------------------------------------------------------
// The model: deliberately independent of machines/ and src/domain.

/** MQTT-4.7: `+` is one level, a trailing `#` is any number of levels (its parent level included). */
function matches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

class Model {
  readonly clients = new Map<string, Set<string>>();
  readonly live = new Set<string>();
  /** When each pair stopped being held (cleared when held again or its source goes). */
  readonly releasedAt = new Map<string, number>();
  now = 0;

  constructor(initial: readonly string[]) {
    for (const id of initial) this.live.add(id);
  }

  held(): Set<string> {
    const out = new Set<string>();
    const filters = [...this.clients.values()].flatMap((s) => [...s]);
    for (const id of this.live) {
      for (const symbol of SOURCES[id]!.symbols) {
        if (filters.some((f) => matches(f, `trades/${id}/${symbol}`))) out.add(`${id}/${symbol}`);
      }
    }
    return out;
  }

  /** Applies a change and records which pairs it released. */
  change(apply: () => void): void {
    const before = this.held();
    apply();
    const after = this.held();
    for (const key of before) if (!after.has(key)) this.releasedAt.set(key, this.now);
    for (const key of after) this.releasedAt.delete(key);
  }

  /** Per live source: what must be demanded, and what may be demanded beyond it (lingering). */
  expected(): Record<string, { required: Set<string>; lingering: Set<string> }> {
    const held = this.held();
    const out: Record<string, { required: Set<string>; lingering: Set<string> }> = {};
    for (const id of this.live) {
      const s = SOURCES[id]!;
      const required = new Set(s.symbols.filter((sym) => s.alwaysOn || held.has(`${id}/${sym}`)));
      const lingering = new Set(
        s.symbols.filter((sym) => {
          const at = this.releasedAt.get(`${id}/${sym}`);
          return !required.has(sym) && at !== undefined && this.now - at < s.lingerMs;
        }),
      );
      out[id] = { required, lingering };
    }
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// The system under test: the supervisor with inert connectors, on a simulated clock.

function startSystem(initial: readonly string[]) {
  const transport = fromCallback<TransportCommand, TransportInput, TransportEvent>(() => () => {});
  const clock = new SimulatedClock();
  const machine = supervisorMachine.provide({
    actors: { connector: connectorMachine.provide({ actors: { transport } }) },
  });
  const actor = createActor(machine, {
    clock,
    input: { sources: initial.map((id) => SOURCES[id]!) },
  }).start();
  const refcount = () => actor.system.get('subscriptions') as AnyActorRef;
  /** The running connector of `id` (a removed source's stays behind in its final state, or is gone). */
  const connector = (id: string): AnyActorRef | undefined => {
    const child: AnyActorRef | undefined = actor.getSnapshot().children[id];
    return child?.getSnapshot().status === 'active' ? child : undefined;
  };
  return {
    actor,
    clock,
    connector,
    /** What the running connector of `id` was last told to keep subscribed (undefined: none runs). */
    wanted: (id: string): string[] | undefined => {
      const c = connector(id);
      return c ? [...(c.getSnapshot().context.wanted as string[])].sort() : undefined;
    },
    subscribe: (clientId: string, filters: string[]) =>
      refcount().send({ type: 'CLIENT.SUBSCRIBE', clientId, filters }),
    unsubscribe: (clientId: string, filters: string[]) =>
      refcount().send({ type: 'CLIENT.UNSUBSCRIBE', clientId, filters }),
    disconnect: (clientId: string) => refcount().send({ type: 'CLIENT.DISCONNECT', clientId }),
    add: (id: string) => actor.send({ type: 'SOURCE.ADD', source: SOURCES[id]! }),
    remove: (id: string) => actor.send({ type: 'SOURCE.REMOVE', id }),
  };
}

type System = ReturnType<typeof startSystem>;

// ---------------------------------------------------------------------------------------------
// Commands

type Command =
  | { kind: 'subscribe'; client: string; filters: string[] }
  | { kind: 'unsubscribe'; client: string; filters: string[] }
  | { kind: 'disconnect'; client: string }
  | { kind: 'advance'; ms: number }
  | { kind: 'add'; id: string }
  | { kind: 'remove'; id: string };

const clientArb = fc.constantFrom(...CLIENTS);
const filterArb = fc.oneof(
  { arbitrary: fc.constantFrom(...NARROW_FILTERS), weight: 5 },
  { arbitrary: fc.constantFrom(...BROAD_FILTERS), weight: 1 },
);
// Duplicates allowed on purpose: the same filter twice in one request still counts once.
const filtersArb = fc.array(filterArb, { minLength: 1, maxLength: 3 });
// Linger boundaries (0, 500, 1000, 2000 and one either side) are where off-by-ones live.
const msArb = fc.oneof(
  fc.constantFrom(0, 1, 499, 500, 501, 999, 1000, 1001, 1999, 2000, 2001),
  fc.integer({ min: 0, max: 2500 }),
);

const clientCommandArb: fc.Arbitrary<Command> = fc.oneof(
  {
    arbitrary: fc.record({ kind: fc.constant('subscribe'), client: clientArb, filters: filtersArb }),
    weight: 5,
  },
  {
    arbitrary: fc.record({ kind: fc.constant('unsubscribe'), client: clientArb, filters: filtersArb }),
    weight: 3,
  },
  { arbitrary: fc.record({ kind: fc.constant('disconnect'), client: clientArb }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('advance'), ms: msArb }), weight: 3 },
) as fc.Arbitrary<Command>;

/**
 * With sources coming and going, the interesting runs are the ones where a source goes while its
 * pairs linger and comes back, and its pairs are held and released again. Single commands alone
 * almost never line that up, so steps also come as short episodes: hold-then-release, and bounce
 * (remove, maybe wait, add back). Fewer clients, shorter waits, filters aimed at the sources that move.
 */
const sourceStepsArb: fc.Arbitrary<Command[]> = (() => {
  const client = fc.constantFrom('c1', 'c2', 'c3');
  const filters = fc.array(
    fc.oneof(
      {
        arbitrary: fc.constantFrom('trades/d/DOGE-USD', 'trades/+/BTC-USD', 'trades/c/#', 'trades/b/+'),
        weight: 4,
      },
      { arbitrary: fc.constantFrom(...NARROW_FILTERS, ...BROAD_FILTERS), weight: 1 },
    ),
    { minLength: 1, maxLength: 2 },
  );
  const ms = fc.oneof(fc.constantFrom(0, 1, 499, 500, 1999, 2000), fc.integer({ min: 0, max: 700 }));
  const moving = fc.constantFrom('b', 'c', 'd');
  const single = fc.oneof(
    { arbitrary: fc.record({ kind: fc.constant('subscribe'), client, filters }), weight: 4 },
    { arbitrary: fc.record({ kind: fc.constant('unsubscribe'), client, filters }), weight: 2 },
    { arbitrary: fc.record({ kind: fc.constant('disconnect'), client }), weight: 2 },
    { arbitrary: fc.record({ kind: fc.constant('advance'), ms }), weight: 3 },
    { arbitrary: fc.record({ kind: fc.constant('add'), id: moving }), weight: 1 },
    {
      arbitrary: fc.record({ kind: fc.constant('remove'), id: fc.constantFrom('a', 'b', 'c', 'd') }),
      weight: 1,
    },
  ) as fc.Arbitrary<Command>;
  const holdThenRelease = fc
    .tuple(client, filters, ms, fc.boolean())
    .map(([c, f, wait, clean]): Command[] => [
      { kind: 'subscribe', client: c, filters: f },
      { kind: 'advance', ms: wait },
      clean ? { kind: 'unsubscribe', client: c, filters: f } : { kind: 'disconnect', client: c },
    ]);
  const bounce = fc.tuple(moving, ms).map(([id, wait]): Command[] => [
    { kind: 'remove', id },
    { kind: 'advance', ms: wait },
    { kind: 'add', id },
  ]);
  return fc.oneof(
    { arbitrary: single.map((cmd) => [cmd]), weight: 3 },
    { arbitrary: holdThenRelease, weight: 3 },
    { arbitrary: bounce, weight: 2 },
  );
})();

/**
 * `checkpoint` runs after the command and, while time advances, also just before and at each moment a
 * lingering pair is due for release: an early or late release can't slip between two checks.
 */
function run(sys: System, model: Model, cmd: Command, checkpoint: () => void): void {
  switch (cmd.kind) {
    case 'subscribe':
      model.change(() => {
        const set = model.clients.get(cmd.client) ?? new Set();
        for (const f of cmd.filters) set.add(f);
        model.clients.set(cmd.client, set);
      });
      sys.subscribe(cmd.client, cmd.filters);
      break;
    case 'unsubscribe':
      model.change(() => {
        for (const f of cmd.filters) model.clients.get(cmd.client)?.delete(f);
      });
      sys.unsubscribe(cmd.client, cmd.filters);
      break;
    case 'disconnect':
      model.change(() => model.clients.delete(cmd.client));
      sys.disconnect(cmd.client);
      break;
    case 'advance': {
      const end = model.now + cmd.ms;
      const stops = new Set([end]);
      for (const [key, at] of model.releasedAt) {
        const due = at + SOURCES[key.slice(0, key.indexOf('/'))]!.lingerMs;
        for (const t of [due - 1, due]) if (t > model.now && t < end) stops.add(t);
      }
      for (const t of [...stops].sort((x, y) => x - y)) {
        sys.clock.increment(t - model.now);
        model.now = t;
        if (t !== end) checkpoint();
      }
      break;
    }
    case 'add':
      if (!model.live.has(cmd.id)) {
        model.live.add(cmd.id);
        // A new source's pairs are held at once by existing filters; none of them lingers.
        for (const key of [...model.releasedAt.keys()])
          if (key.startsWith(`${cmd.id}/`)) model.releasedAt.delete(key);
      }
      sys.add(cmd.id);
      break;
    case 'remove':
      if (model.live.delete(cmd.id)) {
        // A removed source releases everything at once: nothing of it lingers.
        for (const key of [...model.releasedAt.keys()])
          if (key.startsWith(`${cmd.id}/`)) model.releasedAt.delete(key);
      }
      sys.remove(cmd.id);
      break;
  }
}

const describeCommand = (cmd: Command): string => {
  switch (cmd.kind) {
    case 'subscribe':
    case 'unsubscribe':
      return `${cmd.kind} ${cmd.client} ${JSON.stringify(cmd.filters)}`;
    case 'disconnect':
      return `disconnect ${cmd.client}`;
    case 'advance':
      return `advance ${cmd.ms}`;
    default:
      return `${cmd.kind} ${cmd.id}`;
  }
};

/** The invariant after every step, for every source the model knows of. */
function check(sys: System, model: Model, history: string[]): void {
  const expected = model.expected();
  for (const id of Object.keys(SOURCES)) {
    const wanted = sys.wanted(id);
    const where = `source ${id} at t=${model.now} after:\n  ${history.join('\n  ')}\n`;
    const want = expected[id];
    if (!want) {
      if (wanted !== undefined) throw new Error(`${where}a removed source still has a running connector`);
      continue;
    }
    if (wanted === undefined) throw new Error(`${where}a live source has no running connector`);
    const announced = new Set(wanted);
    const missing = [...want.required].filter((s) => !announced.has(s));
    const extra = [...announced].filter((s) => !want.required.has(s) && !want.lingering.has(s));
    const releasedEarly = [...want.lingering].filter((s) => !announced.has(s));
    if (missing.length > 0) throw new Error(`${where}held (or alwaysOn) but not demanded: ${missing}`);
    if (extra.length > 0) throw new Error(`${where}demanded but neither held nor lingering: ${extra}`);
    if (releasedEarly.length > 0)
      throw new Error(`${where}released before its lingerMs (${SOURCES[id]!.lingerMs}): ${releasedEarly}`);
  }
}

/** Runs the commands, checking after each; then everyone leaves and the lingers pass. */
function runScenario(initial: readonly string[], commands: Command[]): void {
  const sys = startSystem(initial);
  const model = new Model(initial);
  const history: string[] = [];
  try {
    check(sys, model, history);
    const step = (cmd: Command) => {
      history.push(describeCommand(cmd));
      run(sys, model, cmd, () => check(sys, model, [...history, `(now ${model.now})`]));
      check(sys, model, history);
    };
    for (const cmd of commands) step(cmd);
    for (const client of CLIENTS) step({ kind: 'disconnect', client });
    step({ kind: 'advance', ms: MAX_LINGER });
    for (const id of model.live) {
      const s = SOURCES[id]!;
      expect(sys.wanted(id), `source ${id} once everyone left`).toEqual(
        s.alwaysOn ? [...s.symbols].sort() : [],
      );
    }
  } finally {
    sys.actor.stop();
  }
}

describe('refcount actor: demand follows MQTT subscriptions (property)', () => {
  it('announces held pairs plus alwaysOn, and beyond that only pairs within their linger', () => {
    fc.assert(
      fc.property(fc.array(clientCommandArb, { maxLength: 40 }), (commands) =>
        runScenario(INITIAL, commands),
      ),
      { numRuns: 1000 },
    );
  });

  it('keeps that invariant while sources are added and removed at run time', () => {
    fc.assert(
      fc.property(fc.array(sourceStepsArb, { maxLength: 20 }), (steps) => runScenario(INITIAL, steps.flat())),
      { numRuns: 1000 },
    );
  });
});

describe('refcount actor: tricky cases', () => {
  it('counts a client once however often it subscribes the same filter', () => {
    const s = startSystem(['c']);
    s.subscribe('c1', ['trades/c/XRP-USD', 'trades/c/XRP-USD']);
    s.subscribe('c1', ['trades/c/XRP-USD']);
    expect(s.wanted('c')).toEqual(['XRP-USD']);
    s.unsubscribe('c1', ['trades/c/XRP-USD']);
    s.clock.increment(2000);
    expect(s.wanted('c')).toEqual([]);
    s.actor.stop();
  });

  it('counts a pair once for a client holding it through two filters, until both are gone', () => {
    const s = startSystem(['b']);
    s.subscribe('c1', ['trades/b/BTC-USD', 'trades/+/BTC-USD']);
    s.unsubscribe('c1', ['trades/b/BTC-USD']);
    expect(s.wanted('b')).toEqual(['BTC-USD']);
    s.unsubscribe('c1', ['trades/+/BTC-USD']);
    expect(s.wanted('b')).toEqual([]);
    s.actor.stop();
  });

  it('keeps a pair two clients hold when the first leaves, releases it when the second does', () => {
    const s = startSystem(['b']);
    s.subscribe('c1', ['trades/b/SOL-USD']);
    s.subscribe('c2', ['trades/+/SOL-USD']);
    s.disconnect('c1');
    expect(s.wanted('b')).toEqual(['SOL-USD']);
    s.unsubscribe('c2', ['trades/+/SOL-USD']);
    // lingerMs 0: released at once.
    expect(s.wanted('b')).toEqual([]);
    s.actor.stop();
  });

  it('cancels the release when the pair is subscribed again within the linger', () => {
    const s = startSystem(['c']);
    s.subscribe('c1', ['trades/c/ETH-USD']);
    s.disconnect('c1');
    s.clock.increment(1999);
    expect(s.wanted('c')).toEqual(['ETH-USD']);
    // A reconnect: a disconnect followed by new subscribes.
    s.subscribe('c1', ['trades/c/ETH-USD']);
    s.clock.increment(5000);
    expect(s.wanted('c')).toEqual(['ETH-USD']);
    // The next release waits a full linger of its own, not what was left of the first.
    s.unsubscribe('c1', ['trades/c/ETH-USD']);
    s.clock.increment(1999);
    expect(s.wanted('c')).toEqual(['ETH-USD']);
    s.clock.increment(1);
    expect(s.wanted('c')).toEqual([]);
    s.actor.stop();
  });

  it('gives a source added later the demand existing wildcard filters imply', () => {
    const s = startSystem(['b']);
    s.subscribe('c1', ['trades/+/DOGE-USD']);
    s.subscribe('c2', ['trades/d/#', 'status/#']);
    s.add('d');
    expect(s.wanted('d')).toEqual(['BTC-USD', 'DOGE-USD']);
    s.disconnect('c2');
    s.clock.increment(499);
    expect(s.wanted('d')).toEqual(['BTC-USD', 'DOGE-USD']);
    s.clock.increment(1);
    expect(s.wanted('d')).toEqual(['DOGE-USD']);
    s.actor.stop();
  });

  it('ignores filters of other topics and of unknown sources or symbols', () => {
    const s = startSystem(['b', 'c']);
    s.subscribe('c1', ['status/#', 'trades/zzz/BTC-USD', 'trades/b/DOGE-USD', 'trades/+', 'trades/b']);
    expect(s.wanted('b')).toEqual([]);
    expect(s.wanted('c')).toEqual([]);
    s.subscribe('c1', ['#']);
    expect(s.wanted('b')).toEqual(['BTC-USD', 'SOL-USD']);
    expect(s.wanted('c')).toEqual(['ETH-USD', 'SOL-USD', 'XRP-USD']);
    s.actor.stop();
  });

  it('ends with exactly the alwaysOn symbols once every client is gone and the lingers passed', () => {
    const s = startSystem(['a', 'b', 'c']);
    s.subscribe('c1', ['trades/#']);
    s.subscribe('c2', ['trades/c/+']);
    s.disconnect('c1');
    s.disconnect('c2');
    s.clock.increment(MAX_LINGER);
    expect([s.wanted('a'), s.wanted('b'), s.wanted('c')]).toEqual([['BTC-USD', 'ETH-USD'], [], []]);
    s.actor.stop();
  });

  it('waits a full linger after a source was removed mid-linger and added again', () => {
    // A pair of `d` lingers (timer due at t=500); `d` is removed and added back, and the pair is
    // held and released again at t=200, so its release is due at t=700, not t=500.
    const s = startSystem(['b']);
    s.add('d');
    s.subscribe('c1', ['trades/d/DOGE-USD']);
    s.disconnect('c1');
    s.remove('d');
    s.add('d');
    s.clock.increment(100);
    s.subscribe('c1', ['trades/d/DOGE-USD']);
    s.clock.increment(100);
    s.disconnect('c1');
    s.clock.increment(300);
    expect(s.wanted('d'), 'at t=500, 300 ms into a 500 ms linger').toEqual(['DOGE-USD']);
    s.clock.increment(200);
    expect(s.wanted('d'), 'at t=700').toEqual([]);
    s.actor.stop();
  });
});
