/**
 * The benchmark's processes and how they talk: every process is forked by run.ts and exchanges
 * small typed messages over IPC. Times that cross processes are microseconds of the system-wide
 * monotonic clock (`process.hrtime`, CLOCK_MONOTONIC on Linux), comparable between processes.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

/** Microseconds on the monotonic clock every process of this machine shares. */
export const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);

export interface Percentiles {
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
}

/** Extra node flags for server processes only, e.g. `BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=prof"`. */
export const serverNodeArgs = (): string[] => (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);

/** What the children send to run.ts. */
export type Report =
  | { type: 'ready'; port: number; httpPort?: number; url?: string }
  | { type: 'prepared' }
  | { type: 'connected'; tcpAtUs: number }
  | { type: 'fed'; sent: number }
  | { type: 'dropped' }
  | { type: 'accepting'; atUs: number }
  | { type: 'counted'; atUs: number; received: number }
  | { type: 'first'; atUs: number }
  | { type: 'stalled'; atUs: number }
  | ({ type: 'report'; received: number; samples: number; worstBySecondMs: number[] } & Percentiles)
  | { type: 'rss'; mb: number }
  | { type: 'cpu'; us: number }
  | { type: 'disconnected'; clientId: string; atUs: number }
  | { type: 'memory'; bytesPerTrade: number | null; note?: string };

/** What run.ts sends to the children. */
export type Command =
  | { type: 'stop' }
  | { type: 'go'; count: number }
  | { type: 'rss' }
  | { type: 'cpu' }
  | { type: 'prepare'; count: number }
  | { type: 'burst' }
  | { type: 'paced'; rate: number; durationMs: number }
  | { type: 'drop' }
  | { type: 'accept'; rate: number; durationMs: number }
  | { type: 'expect'; count: number }
  | { type: 'first'; afterUs: number }
  | { type: 'window'; fromUs: number }
  | { type: 'report' };

/** CPU time (user + system) this process has used, µs. */
export function cpuUs(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

export function reply(m: Report): void {
  process.send?.(m);
}

/** Calls `handle` for every command from run.ts. */
export function onCommand(handle: (c: Command) => void): void {
  process.on('message', (m: Command) => handle(m));
}

/** A forked benchmark process and the reports it sent, awaited by type with a deadline. */
export class Proc {
  private readonly inbox: Report[] = [];
  private wake: (() => void) | undefined;
  readonly child: ChildProcess;

  constructor(script: string, argv: string[], execArgv: string[] = []) {
    const file = fileURLToPath(new URL(`./${script}.js`, import.meta.url));
    this.child = fork(file, argv, {
      execArgv: [...execArgv, ...(script === 'child' ? serverNodeArgs() : [])],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (m: Report) => {
      this.inbox.push(m);
      this.wake?.();
    });
    this.child.on('exit', () => this.wake?.());
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  async next<T extends Report['type']>(type: T, timeoutMs: number): Promise<Extract<Report, { type: T }>> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex((m) => m.type === type);
      if (i >= 0) return this.inbox.splice(i, 1)[0] as Extract<Report, { type: T }>;
      if (this.exited) throw new Error(`process exited before "${type}"`);
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no "${type}" within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** A report already received (or undefined), without waiting. */
  take<T extends Report['type']>(type: T): Extract<Report, { type: T }> | undefined {
    const i = this.inbox.findIndex((m) => m.type === type);
    return i >= 0 ? (this.inbox.splice(i, 1)[0] as Extract<Report, { type: T }>) : undefined;
  }

  send(c: Command): void {
    if (this.child.connected) this.child.send(c);
  }

  /** Asks it to stop; kills it (by its own pid) if it has not exited within 5 s. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.send({ type: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Percentiles (ms) of latencies in ms; NaN when there are none. */
export function percentiles(samples: Float64Array): Percentiles {
  const sorted = samples.slice().sort();
  const at = (p: number) =>
    sorted.length === 0
      ? Number.NaN
      : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number);
  const round = (x: number) => Number(x.toFixed(3));
  return { p50Ms: round(at(50)), p99Ms: round(at(99)), p999Ms: round(at(99.9)) };
}
