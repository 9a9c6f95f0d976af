import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { type Actor, createActor, type InspectionEvent } from 'xstate';
import { connectorMachine } from '../../machines/index.js';
import { type Fault, type Simulator, startSimulator } from '../../simulator/index.js';
import { createWsTransport } from '../../src/connectors/index.js';
import {
  type ConnectorSnapshot,
  chartStates,
  chartTransitions,
  coverageRecorder,
  DIALECTS,
  type Dialect,
  generatePaths,
  isAfterAck,
  leaf,
  type ModelEvent,
  type ModelPath,
  modelInput,
  serialize,
  UNREALIZABLE,
} from './model.js';

/**
 * Model-based tests of the connector chart, once per dialect: paths generated from the machine
 * definition (xstate/graph), each replayed against the REAL WebSocket transport and the REAL
 * simulator's face for that dialect, whose fault controls produce the events the path calls for.
 */
const silent = pino({ level: 'silent' });

/** The simulator's face speaking each dialect. */
const urlOf: Record<Dialect, (sim: Simulator) => string> = {
  blockchain: (sim) => sim.url,
  coinbase: (sim) => sim.coinbaseUrl,
};

type ConnectorActor = Actor<typeof connectorMachine>;

/**
 * What the real connector did: each event it processed with the (serialized) state it led to,
 * from its inspection stream. Steps are matched in order, so events that arrive together (two
 * answers in one TCP read) are matched however late the test looks.
 */
class Observed {
  private readonly log: Array<{ type: string; state: string }> = [];
  private cursor = 0;
  private waiter: (() => boolean) | undefined;

  readonly inspect = (e: InspectionEvent) => {
    if (e.type !== '@xstate.snapshot' || e.actorRef.sessionId !== e.rootId) return;
    this.log.push({ type: e.event.type, state: serialize(e.snapshot as ConnectorSnapshot) });
    if (this.waiter?.()) this.waiter = undefined;
  };

  /** Resolves (synchronously, at that snapshot) once the next `type` event has led to `want`. */
  next(type: string, want: string, what: string, timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        for (let i = this.cursor; i < this.log.length; i++) {
          const entry = this.log[i];
          if (entry?.type === type && entry.state === want) {
            this.cursor = i + 1;
            clearTimeout(timer);
            resolve();
            return true;
          }
        }
        return false;
      };
      const timer = setTimeout(() => {
        this.waiter = undefined;
        const seen = this.log.slice(this.cursor).map((l) => `${l.type} → ${l.state}`);
        reject(new Error(`${what}: wanted ${type} → ${want}\n  saw ${seen.join('\n      ')}`));
      }, timeoutMs);
      if (!check()) this.waiter = check;
    });
  }
}

/** The step at which `symbol`'s subscribe request, still pending at step `j`, went out. */
function requestStep(path: ModelPath, j: number, symbol: string): number {
  for (let k = j - 1; k >= 0; k--) {
    const before = k === 0 ? 'pending' : path.steps[k - 1]?.state.context.symbols[symbol];
    if (path.steps[k]?.state.context.symbols[symbol] === 'subscribing' && before !== 'subscribing') return k;
  }
  // Requested at start (the initial demand): arm before the first step.
  return 0;
}

/**
 * The faults to arm before each step, so that the venue answers as the path says: for a REJECTED
 * naming a symbol, a `reject` of it before its request went out; for one naming none (the
 * connection refused), a `throttle` before the oldest request still pending went out, which it
 * answers (the venue answers in order), the later ones being ignored.
 */
function rejectArming(path: ModelPath): Map<number, Fault[]> {
  const arm = new Map<number, Fault[]>();
  const add = (k: number, fault: Fault) => arm.set(k, [...(arm.get(k) ?? []), fault]);
  path.steps.forEach((step, j) => {
    if (step.event.type !== 'UPSTREAM.REJECTED') return;
    const { symbol } = step.event;
    if (symbol !== null) {
      add(requestStep(path, j, symbol), { kind: 'reject', symbol });
      return;
    }
    const symbols = path.steps[j - 1]?.state.context.symbols ?? {};
    const pending = Object.keys(symbols).filter((s) => symbols[s] === 'subscribing');
    add(Math.min(...pending.map((s) => requestStep(path, j, s))), { kind: 'throttle' });
  });
  return arm;
}

const awaiting = (state: string | undefined) => state === 'subscribing' || state === 'resubscribing';

/**
 * The `mute`s to arm so that an ack timeout happens as the path says: before the step that entered
 * the run of subscribing/resubscribing it ends, one for each subscribe request sent in that run (a
 * message per symbol on Blockchain.com, per command on Coinbase). No request of the run is answered
 * in the path: an answer with more pending must be followed by answers (`realizable`).
 */
function muteArming(path: ModelPath, dialect: Dialect): Map<number, Fault[]> {
  const arm = new Map<number, Fault[]>();
  path.steps.forEach((step, j) => {
    if (!isAfterAck(step.event.type)) return;
    let start = j - 1;
    while (start > 0 && awaiting(leaf(path.steps[start - 1]?.state as ConnectorSnapshot))) start--;
    let count = 0;
    for (let i = start; i < j; i++) {
      const before = path.steps[i - 1]?.state.context.symbols ?? {};
      const after = path.steps[i]?.state.context.symbols ?? {};
      const sent = Object.keys(after).filter(
        (s) => after[s] === 'subscribing' && before[s] !== 'subscribing',
      );
      count += dialect === 'blockchain' ? sent.length : Math.min(sent.length, 1);
    }
    arm.set(start, [...(arm.get(start) ?? []), { kind: 'mute', count }]);
  });
  return arm;
}

/** Makes `event` happen in the real world (or lets it happen by itself: acks, timers, opens). */
function realize(event: ModelEvent, actor: ConnectorActor, sim: Simulator, run: Run): void {
  const state = leaf(actor.getSnapshot());
  switch (event.type) {
    case 'TRANSPORT.CLOSED':
      if (state === 'connecting') {
        sim.fault({ kind: 'refuse', attempts: 1 });
      } else {
        // Every way a connection can die: close frame, TCP reset, and the zombie socket. Not the
        // zombie with a subscribe pending: the ack timeout would notice it before the stale timer.
        const kinds = awaiting(state)
          ? (['abrupt', 'graceful'] as const)
          : (['abrupt', 'graceful', 'stall'] as const);
        const kind = kinds[run.drops++ % kinds.length] as 'abrupt' | 'graceful' | 'stall';
        sim.fault(kind === 'stall' ? { kind, seconds: 2 } : { kind });
      }
      return;
    case 'UPSTREAM.GAP':
      // Blockchain.com: the next message skips a seqnum. Coinbase: a product's matches are lost
      // once the connector has had one (its baseline) until the product's next heartbeat, whose
      // last_trade_id shows it: a trade and a heartbeat later, tens of ms at the rates used here.
      sim.fault({ kind: 'gap' });
      return;
    case 'DEMAND':
    case 'STOP':
    case 'RETRY':
      actor.send(event);
      return;
    default:
      // TRANSPORT.OPEN, acks, rejections (armed beforehand), backoff and stability timers.
      return;
  }
}

/** One dialect's run: its paths, and what the real connectors went through. */
interface Run {
  dialect: Dialect;
  /** Connections dropped so far, to take turns among the ways to drop one. */
  drops: number;
  transitions: Set<string>;
  states: Set<string>;
}

async function runPath(path: ModelPath, run: Run): Promise<void> {
  const sim = await startSimulator({ port: 0, rate: 50, heartbeatIntervalMs: 40 });
  const recorder = coverageRecorder();
  const observed = new Observed();
  const transport = createWsTransport({
    logger: silent,
    sink: () => ({ trade() {}, bad() {}, duplicate() {} }),
  });
  const input = modelInput(run.dialect);
  const actor = createActor(connectorMachine.provide({ actors: { transport } }), {
    input: { ...input, source: { ...input.source, url: urlOf[run.dialect](sim) } },
    inspect: (e) => {
      recorder.inspect(e);
      observed.inspect(e);
    },
  });
  const arming = rejectArming(path);
  for (const [k, faults] of muteArming(path, run.dialect))
    arming.set(k, [...(arming.get(k) ?? []), ...faults]);
  try {
    actor.start();
    for (const [i, step] of path.steps.entries()) {
      for (const fault of arming.get(i) ?? []) sim.fault(fault);
      realize(step.event, actor, sim, run);
      await observed.next(step.event.type, serialize(step.state), `step ${i + 1} (${step.event.type})`);
    }
  } finally {
    actor.stop();
    await sim.close();
  }
  for (const t of recorder.transitions) run.transitions.add(t);
  for (const s of recorder.states) run.states.add(s);
}

const describePath = (p: ModelPath) =>
  p.steps
    .map((s) => s.event.type.replace('xstate.after.', 'after ').replace(/\.connector.*$/, ''))
    .join(' → ');

for (const dialect of DIALECTS) {
  const generated = generatePaths(dialect);
  const { candidates, states: modelStates } = generated;
  // The cover set (every transition), then the shortest path to every state the model reaches;
  // MODEL_PATHS=cover runs the cover set alone (seconds instead of tens of seconds).
  const paths =
    process.env.MODEL_PATHS === 'cover' ? generated.paths : [...generated.paths, ...generated.toEveryState];
  const run: Run = { dialect, drops: 0, transitions: new Set(), states: new Set() };

  describe(`connector chart (${dialect}), model-based against the real transport and simulator`, () => {
    afterAll(() => {
      const all = [...chartTransitions().keys()];
      const realizable = all.filter((k) => !UNREALIZABLE(k));
      const covered = realizable.filter((k) => run.transitions.has(k));
      const states = chartStates();
      console.log(
        `model (${dialect}): ${modelStates} abstract states, ${candidates} candidate paths, ` +
          `${paths.length} paths run (${generated.paths.length} cover set); ` +
          `chart states covered ${states.filter((s) => run.states.has(s)).length}/${states.length}, ` +
          `transitions covered ${covered.length}/${realizable.length} ` +
          `(+${all.length - realizable.length} transport-start-failure transitions covered by the logic tests only)`,
      );
    });

    for (const [i, path] of paths.entries()) {
      it(`path ${i + 1}: ${describePath(path)}`, async () => {
        await runPath(path, run);
      });
    }

    it('reached every state and every realizable transition of the chart', () => {
      const missing = [...chartTransitions().keys()].filter(
        (k) => !UNREALIZABLE(k) && !run.transitions.has(k),
      );
      expect(missing).toEqual([]);
      expect(chartStates().filter((s) => !run.states.has(s))).toEqual([]);
    });
  });
}
