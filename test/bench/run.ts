/**
 * `npm run bench [-- --quick] [-- --json FILE] [-- --only a,b]`: DataServer against the Aedes it
 * embeds, same run, same machine. Feeder, server and subscribers are separate processes (see
 * scenarios.ts); this one only orchestrates and prints one row per scenario.
 * `--quick` is a CI smoke test (< 60 s): it fails only when a scenario produced no numbers, never
 * on a goal (a noisy machine must not fail CI).
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import {
  FULL,
  latency,
  memory,
  type Plan,
  QUICK,
  type Result,
  recovery,
  slowConsumer,
  startup,
  throughput,
} from './scenarios.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const jsonAt = args.indexOf('--json');
const jsonFile = jsonAt >= 0 ? args[jsonAt + 1] : undefined;
if (jsonAt >= 0 && !jsonFile) throw new Error('--json needs a file name');
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? (args[onlyAt + 1] ?? '').split(',') : undefined;
const plan: Plan = quick ? QUICK : FULL;

const f = (x: unknown) => (typeof x === 'number' ? x.toLocaleString('en-US') : String(x));
const mark = (ok: boolean) => (ok ? '✔' : '✘');

/** The table row, with the goal for it. */
function row(s: Result): string {
  const note = s.note ? `  (${s.note})` : '';
  const n = (k: string) => s[k] as number;
  switch (s.name) {
    case 'throughput':
      return `throughput   | ${f(s.trades)} trades, 1 sub | dataserver ${f(s.dataserver)}/s | bare Aedes ${f(s.bareAedes)}/s | ratio ${f(s.ratio)} | server CPU/trade ${f(s.dataserverCpuUsPerTrade)} vs ${f(s.bareAedesCpuUsPerTrade)} µs | goal ≥ 0.8 ${mark(n('ratio') >= 0.8)}${note}`;
    case 'latency': {
      const goal = n('subscribers') === 1 ? 10 : 20;
      return `latency      | ${f(s.rate)}/s → ${f(s.subscribers)} sub (${f(s.deliveriesPerSecond)} deliveries/s), ${f(s.samples)} samples | p50 ${f(s.p50Ms)} ms | p99 ${f(s.p99Ms)} ms | p99.9 ${f(s.p999Ms)} ms | goal p99 ≤ ${goal} ms ${mark(n('p99Ms') <= goal)}${note}`;
    }
    case 'memory':
      return `memory       | ${f(s.trades)} trades stored: ${f(s.bytesPerTrade)} B/trade heap | RSS at ${f(s.rssRate)}/s for ${f(s.rssSeconds)} s: ${f(s.rssStartMb)} → ${f(s.rssWarmMb)} (warm) → ${f(s.rssEndMb)} MB | goal ≤ 300 B ${mark(n('bytesPerTrade') <= 300)}, flat ${mark(rssFlat(s))}${note}`;
    case 'slowConsumer':
      return `slowConsumer | ${f(s.rate)}/s → 10 subs + 1 stalled | p99 ${f(s.p99AloneMs)} → ${f(s.p99WithSlowMs)} ms (×${f(s.p99Factor)}) | server RSS ${f(s.rssAloneMb)} → ${f(s.rssWithSlowMb)} MB | slow one ${s.slow} | goal ≤ 2× ${mark(n('p99Factor') <= 2)}${note}`;
    case 'recovery':
      return `recovery     | accepting again → first trade ${f(s.ms)} ms (+ ${f(s.backoffMs)} ms backoff = ${f(s.totalMs)} ms)${note}`;
    case 'startup':
      return `startup      | spawn → /ready 200: ${f(s.ms)} ms | goal ≤ 1,000 ms ${mark(n('ms') <= 1000)}${note}`;
    default:
      return `${s.name.padEnd(12)} | ${JSON.stringify(s)}`;
  }
}

/** Flat: from warm to end, RSS grew by no more than 10% (and 10 MB). */
function rssFlat(s: Result): boolean {
  const warm = s.rssWarmMb as number;
  const end = s.rssEndMb as number;
  return end - warm <= Math.max(10, warm * 0.1);
}

/** The numbers each scenario promises; `--quick` checks only that these are finite. */
const NUMBERS: Record<string, string[]> = {
  throughput: ['dataserver', 'bareAedes', 'ratio'],
  latency: ['p50Ms', 'p99Ms', 'p999Ms'],
  memory: ['bytesPerTrade', 'rssStartMb', 'rssEndMb'],
  slowConsumer: ['p99AloneMs', 'p99WithSlowMs', 'rssWithSlowMb'],
  recovery: ['ms'],
  startup: ['ms'],
};
const hasNumbers = (s: Result) => (NUMBERS[s.name] ?? ['missing']).every((k) => Number.isFinite(s[k]));

const machine = { cpus: os.availableParallelism(), node: process.version };
console.log(
  `# DataServer bench${quick ? ' (--quick)' : ''}: this machine has ${machine.cpus} cores (${os.cpus()[0]?.model ?? 'unknown cpu'}), node ${machine.node}`,
);
console.log(
  '# separate processes: feeder (WebSocket upstream), server (DataServer or bare Aedes), subscribers',
);

const runs: [string, () => Promise<Result>][] = [
  ['throughput', () => throughput(plan)],
  ...plan.latency.map(
    ({ rate, subscribers }) =>
      ['latency', () => latency(plan, rate, subscribers)] as [string, () => Promise<Result>],
  ),
  ['memory', () => memory(plan)],
  ['slowConsumer', () => slowConsumer(plan)],
  ['recovery', () => recovery(plan)],
  ['startup', () => startup(plan)],
];

const t0 = performance.now();
const scenarios: Result[] = [];
let failed = false;
for (const [name, run] of runs) {
  if (only && !only.includes(name)) continue;
  let s: Result;
  try {
    s = await run();
  } catch (err) {
    s = { name, error: err instanceof Error ? err.message : String(err) };
  }
  scenarios.push(s);
  console.log(row(s));
  if (!hasNumbers(s)) failed = true;
}
console.log(`# ${((performance.now() - t0) / 1000).toFixed(0)} s`);
if (jsonFile) writeFileSync(jsonFile, `${JSON.stringify({ machine, scenarios }, null, 2)}\n`);
if (failed) {
  console.error('bench: a scenario produced no numbers');
  process.exitCode = 1;
}
