/**
 * `npm run bench [-- --quick] [-- --json FILE]`: DataServer against the Aedes it embeds, same run,
 * same machine. Processes: this one runs the feeder (WebSocket upstream) and the MQTT subscriber;
 * DataServer, the bare-Aedes baseline and the memory probe each run in a forked child (child.ts).
 * `--quick` is a CI smoke test: it fails only when a scenario produced no numbers, never on goals.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import type { ChildMessage } from './child.js';
import { Feeder } from './feeder.js';
import { symbolOf, tradeBody } from './frames.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const jsonAt = args.indexOf('--json');
const jsonFile = jsonAt >= 0 ? args[jsonAt + 1] : undefined;
if (jsonAt >= 0 && !jsonFile) throw new Error('--json needs a file name');
/** `--only latency,memory`: run just these scenarios. */
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? (args[onlyAt + 1] ?? '').split(',') : undefined;

const plan = quick
  ? { trades: 50_000, rate: 2_000, latencyMs: 3_000, warmupMs: 500, stored: 200_000, deadlineMs: 15_000 }
  : {
      trades: 200_000,
      rate: 10_000,
      latencyMs: 10_000,
      warmupMs: 2_000,
      stored: 1_000_000,
      deadlineMs: 60_000,
    };

const CHILD = fileURLToPath(new URL('./child.js', import.meta.url));
/** Extra node flags for the children, e.g. `BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=prof"`. */
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);

/** A forked child and the messages it sent, awaited by type with a deadline. */
class Child {
  private readonly inbox: ChildMessage[] = [];
  private wake: (() => void) | undefined;
  readonly proc: ChildProcess;

  constructor(argv: string[], execArgv: string[] = []) {
    this.proc = fork(CHILD, argv, {
      execArgv: [...execArgv, ...NODE_ARGS],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.proc.on('message', (m: ChildMessage) => {
      this.inbox.push(m);
      this.wake?.();
    });
    this.proc.on('exit', () => this.wake?.());
  }

  async next<T extends ChildMessage['type']>(
    type: T,
    timeoutMs: number,
  ): Promise<Extract<ChildMessage, { type: T }>> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex((m) => m.type === type);
      if (i >= 0) return this.inbox.splice(i, 1)[0] as Extract<ChildMessage, { type: T }>;
      if (this.proc.exitCode !== null || this.proc.signalCode !== null)
        throw new Error(`child exited before "${type}"`);
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no "${type}" from the child within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  send(type: 'go' | 'stop'): void {
    if (this.proc.connected) this.proc.send({ type });
  }

  /** Asks it to stop; kills it (by its own pid) if it has not exited within 5 s. */
  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    this.send('stop');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

async function subscribe(port: number, onMessage: (payload: Buffer) => void): Promise<MqttClient> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, clean: true });
  client.on('message', (topic, payload) => {
    if (topic.startsWith('trades/')) onMessage(payload);
  });
  await client.subscribeAsync('trades/#', { qos: 0 });
  return client;
}

/** Resolves when `done()` is true or after `timeoutMs` (polling every 10 ms, bounded). */
async function until(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

interface Counted {
  perSecond: number;
  received: number;
  complete: boolean;
}

/** Counts trades at one subscriber from `start()` until `count` arrived (or the deadline). */
async function countTrades(port: number, count: number, start: () => void): Promise<Counted> {
  let received = 0;
  let last = 0;
  const client = await subscribe(port, () => {
    if (++received === count) last = performance.now();
  });
  const t0 = performance.now();
  start();
  const complete = await until(() => received >= count, plan.deadlineMs);
  const elapsed = (complete ? last : performance.now()) - t0;
  await client.endAsync(true);
  return { perSecond: (received / elapsed) * 1000, received, complete };
}

async function throughput(feeder: Feeder): Promise<Record<string, unknown>> {
  const timestamp = new Date().toISOString();
  const bodies = Array.from({ length: plan.trades }, (_, i) =>
    tradeBody(i, symbolOf(i), `${1e12 + i}`, timestamp),
  );

  const server = new Child(['dataserver', feeder.url]);
  let ds: Counted;
  try {
    const { port } = await server.next('ready', 15_000);
    const upstream = await feeder.connection(15_000);
    ds = await countTrades(port, plan.trades, () => {
      upstream.burst(bodies).catch(() => {});
    });
  } finally {
    await server.stop();
  }

  const bare = new Child(['aedes', String(plan.trades)]);
  let base: Counted;
  try {
    const { port } = await bare.next('ready', 15_000);
    base = await countTrades(port, plan.trades, () => bare.send('go'));
  } finally {
    await bare.stop();
  }
  const notes = [
    ds.complete ? '' : `dataserver delivered ${ds.received}/${plan.trades} before the deadline`,
    base.complete ? '' : `bare Aedes delivered ${base.received}/${plan.trades} before the deadline`,
  ].filter(Boolean);
  return {
    name: 'throughput',
    trades: plan.trades,
    dataserver: Math.round(ds.perSecond),
    bareAedes: Math.round(base.perSecond),
    ratio: Number((ds.perSecond / base.perSecond).toFixed(3)),
    ...(notes.length ? { note: notes.join('; ') } : {}),
  };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

async function latency(feeder: Feeder): Promise<Record<string, unknown>> {
  const total = Math.ceil((plan.rate * plan.latencyMs) / 1000);
  const samples = new Float64Array(total);
  let n = 0;
  let received = 0;
  let warmEndUs = Number.POSITIVE_INFINITY;
  const server = new Child(['dataserver', feeder.url]);
  try {
    const { port } = await server.next('ready', 15_000);
    const upstream = await feeder.connection(15_000);
    const client = await subscribe(port, (payload) => {
      const at = performance.now() * 1000;
      received++;
      const id = (JSON.parse(payload.toString('utf8')) as { tradeId: string }).tradeId;
      const sentUs = Number(id.slice(0, id.indexOf('-')));
      if (sentUs >= warmEndUs && n < total) samples[n++] = (at - sentUs) / 1000;
    });
    warmEndUs = (performance.now() + plan.warmupMs) * 1000;
    const sent = await upstream.paced(plan.rate, plan.latencyMs);
    await until(() => received >= sent, 2_000);
    await client.endAsync(true);
  } finally {
    await server.stop();
  }
  const sorted = samples.slice(0, n).sort();
  const round = (x: number) => Number(x.toFixed(3));
  return {
    name: 'latency',
    rate: plan.rate,
    subscribers: 1,
    samples: n,
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    p999Ms: round(percentile(sorted, 99.9)),
  };
}

async function memory(): Promise<Record<string, unknown>> {
  const child = new Child(['memory', String(plan.stored)], ['--expose-gc']);
  try {
    const m = await child.next('memory', 120_000);
    return {
      name: 'memory',
      trades: plan.stored,
      bytesPerTrade: m.bytesPerTrade === null ? null : Math.round(m.bytesPerTrade),
      rssStartMb: Math.round(m.rssStartMb),
      rssEndMb: Math.round(m.rssEndMb),
      ...(m.note ? { note: m.note } : {}),
    };
  } finally {
    await child.stop();
  }
}

function row(s: Record<string, unknown>): string {
  const f = (x: unknown) => (typeof x === 'number' ? x.toLocaleString('en-US') : String(x));
  const note = s.note ? `  (${s.note})` : '';
  switch (s.name) {
    case 'throughput':
      return `throughput | ${f(s.trades)} trades, 1 sub | dataserver ${f(s.dataserver)} trades/s | bare Aedes ${f(s.bareAedes)} trades/s | ratio ${f(s.ratio)}${note}`;
    case 'latency':
      return `latency    | ${f(s.rate)} trades/s, ${f(s.subscribers)} sub, ${f(s.samples)} samples | p50 ${f(s.p50Ms)} ms | p99 ${f(s.p99Ms)} ms | p99.9 ${f(s.p999Ms)} ms${note}`;
    case 'memory':
      return `memory     | ${f(s.trades)} trades stored | ${f(s.bytesPerTrade)} B/trade heap | rss ${f(s.rssStartMb)} → ${f(s.rssEndMb)} MB${note}`;
    default:
      return `${String(s.name).padEnd(10)} | ${JSON.stringify(s)}`;
  }
}

/** True when every numeric field the scenario promises is a finite number. */
function hasNumbers(s: Record<string, unknown>): boolean {
  const keys: Record<string, string[]> = {
    throughput: ['dataserver', 'bareAedes', 'ratio'],
    latency: ['p50Ms', 'p99Ms', 'p999Ms'],
    memory: ['rssStartMb', 'rssEndMb'],
  };
  return (keys[String(s.name)] ?? []).every((k) => Number.isFinite(s[k]));
}

const machine = { cpus: os.availableParallelism(), node: process.version };
console.log(
  `# DataServer bench${quick ? ' (--quick)' : ''}: ${machine.cpus} cpus (os.availableParallelism), node ${machine.node}, ${os.cpus()[0]?.model ?? 'unknown cpu'}`,
);
console.log(
  '# processes: feeder + subscriber here; DataServer / bare Aedes / memory probe each in a forked child',
);

const scenarios: Record<string, unknown>[] = [];
const feeder = await Feeder.start();
let failed = false;
for (const [name, run] of [
  ['throughput', () => throughput(feeder)],
  ['latency', () => latency(feeder)],
  ['memory', () => memory()],
] as const) {
  if (only && !only.includes(name)) continue;
  try {
    const s = await run();
    scenarios.push(s);
    console.log(row(s));
    if (!hasNumbers(s)) failed = true;
  } catch (err) {
    failed = true;
    const s = { name, error: err instanceof Error ? err.message : String(err) };
    scenarios.push(s);
    console.log(row(s));
  }
}
await feeder.close();
if (jsonFile) writeFileSync(jsonFile, `${JSON.stringify({ machine, scenarios }, null, 2)}\n`);
if (failed) {
  console.error('bench: a scenario produced no numbers');
  process.exitCode = 1;
}
