import { vi } from 'vitest';
import type { Simulator } from '../../simulator/index.js';
import { createServer, type DataServer } from '../../src/runtime/index.js';
import type { RecordingClient } from './mqtt.js';
import { silentLogger, testConfig } from './server.js';

/** What the server holds upstream, seen from the simulator: each open connection's channels. */
export function upstreamConnections(sim: Simulator): string[][] {
  return sim.status().connections.map((c) => [...c.subscriptions].sort());
}

/** The trade symbols subscribed upstream over all open connections, sorted. */
export function upstreamSymbols(sim: Simulator): string[] {
  const symbols = sim
    .status()
    .connections.flatMap((c) => c.subscriptions)
    .filter((s) => s.startsWith('trades:'))
    .map((s) => s.slice('trades:'.length));
  return [...new Set(symbols)].sort();
}

/**
 * Polls the simulator until exactly one connection is open and it holds the heartbeat and exactly
 * `symbols`; returns when it does (rejects with the last state seen after `timeoutMs`).
 */
export async function waitForUpstream(sim: Simulator, symbols: string[], timeoutMs = 10_000): Promise<void> {
  const expected = ['heartbeat', ...symbols.map((s) => `trades:${s}`)].sort();
  await vi.waitFor(
    () => {
      const connections = upstreamConnections(sim);
      if (connections.length !== 1 || JSON.stringify(connections[0]) !== JSON.stringify(expected)) {
        throw new Error(`upstream is ${JSON.stringify(connections)}, want [${JSON.stringify(expected)}]`);
      }
    },
    { timeout: timeoutMs, interval: 5 },
  );
}

/** The server of `testConfig`, but with a linger of one's choosing (testConfig's is 0). */
export function startLingerServer(url: string, lingerMs: number): Promise<DataServer> {
  return createServer(testConfig(url, { lingerMs }), silentLogger);
}

/** A `status/{source}` payload as far as these tests read it. */
export interface StatusPayload {
  source: string;
  state: string;
  symbols: Record<string, string>;
}

/** Every `status/{source}` a watcher received from message index `from` on, oldest first. */
export function statusHistory(watcher: RecordingClient, from = 0, source = 'blockchain'): StatusPayload[] {
  return watcher.messages
    .slice(from)
    .filter((m) => m.topic === `status/${source}`)
    .map((m) => watcher.json<StatusPayload>(m));
}

/** Waits for a status (retained or live) that satisfies `predicate`, from message index `from` on. */
export async function waitForStatus(
  watcher: RecordingClient,
  predicate: (s: StatusPayload) => boolean,
  what: string,
  from = 0,
  timeoutMs = 10_000,
  source = 'blockchain',
): Promise<StatusPayload> {
  const m = await watcher.waitFor(
    (x) => x.topic === `status/${source}` && predicate(watcher.json<StatusPayload>(x)),
    what,
    from,
    timeoutMs,
  );
  return watcher.json<StatusPayload>(m);
}
