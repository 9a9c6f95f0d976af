import { createActor, fromCallback, SimulatedClock } from 'xstate';
import { type ConnectorInput, connectorMachine } from '../../machines/index.js';
import type { TransportCommand, TransportEvent, TransportInput } from '../../src/domain/index.js';

/** One invocation of the fake transport: what the connector asked of it, and a way to answer. */
export interface FakeSession {
  input: TransportInput;
  commands: TransportCommand[];
  closed: boolean;
  send(event: TransportEvent): void;
}

/** A connector driven by a scripted transport and a simulated clock: no sockets, no real time. */
export function connectorHarness(
  input: Omit<Partial<ConnectorInput>, 'source'> & {
    symbols?: string[];
    source?: Partial<ConnectorInput['source']>;
  } = {},
) {
  const sessions: FakeSession[] = [];
  const transport = fromCallback<TransportCommand, TransportInput, TransportEvent>(
    ({ input, sendBack, receive }) => {
      const session: FakeSession = { input, commands: [], closed: false, send: sendBack };
      sessions.push(session);
      receive((command) => session.commands.push(command));
      return () => {
        session.closed = true;
      };
    },
  );
  const clock = new SimulatedClock();
  const actor = createActor(connectorMachine.provide({ actors: { transport } }), {
    clock,
    input: {
      source: {
        sourceId: 'venue',
        kind: 'blockchain',
        url: 'ws://127.0.0.1:1/ws',
        token: '',
        staleAfterMs: 15_000,
        symbols: input.symbols ?? ['BTC-USD', 'ETH-USD'],
        backoff: { initialDelayMs: 1000, maxDelayMs: 8000, multiplier: 2, jitter: 0 },
        ...input.source,
      },
      wanted: input.wanted ?? [],
      stableAfterMs: input.stableAfterMs ?? 10_000,
    },
  });
  const current = (): FakeSession => {
    const s = sessions.at(-1);
    if (!s) throw new Error('no transport session yet');
    return s;
  };
  const state = (): string => {
    const v = actor.getSnapshot().value;
    return typeof v === 'string' ? v : (Object.values(v)[0] as string);
  };
  return { actor, clock, sessions, current, state };
}

/** Acknowledges every SUBSCRIBE/UNSUBSCRIBE the session has received so far. */
export function ackAll(session: FakeSession): void {
  for (const c of session.commands.splice(0)) {
    for (const symbol of c.symbols) {
      session.send({
        type: c.type === 'SUBSCRIBE' ? 'UPSTREAM.SUBSCRIBED' : 'UPSTREAM.UNSUBSCRIBED',
        symbol,
      });
    }
  }
}
