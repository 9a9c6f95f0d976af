/**
 * The six scenarios of `npm run bench`. Each starts its own processes (feeder, server,
 * subscribers: see proc.ts), bounds every wait, stops what it started, and returns one result.
 */
import { spawn as spawnProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { SYMBOLS } from './frames.js';
import { nowUs, Proc, serverNodeArgs } from './proc.js';

export interface Plan {
  throughputTrades: number;
  /** Trades sent through first, untimed, so both sides run JIT-compiled code when timed. */
  warmTrades: number;
  latency: { rate: number; subscribers: number }[];
  latencyMs: number;
  warmupMs: number;
  stored: number;
  rssRate: number;
  rssMs: number;
  slowRate: number;
  slowMs: number;
  /** Longest wait for a count of trades to arrive. */
  deadlineMs: number;
  /**
   * The server's mqtt.limits.maxClientBacklogBytes outside the slow-consumer scenario; undefined:
   * its default. --quick raises it, so a CI machine that deschedules a subscriber for a moment
   * does not get it cut (and the smoke run failed) by the slow-consumer policy.
   */
  backlogBytes?: number;
}

export const FULL: Plan = {
  throughputTrades: 300_000,
  warmTrades: 20_000,
  latency: [
    { rate: 10_000, subscribers: 1 },
    { rate: 500, subscribers: 50 },
  ],
  latencyMs: 15_000,
  warmupMs: 3_000,
  stored: 1_000_000,
  rssRate: 5_000,
  rssMs: 120_000,
  slowRate: 2_000,
  slowMs: 20_000,
  deadlineMs: 60_000,
};

/** The CI smoke version: every scenario, shorter (the whole run well under 60 s). */
export const QUICK: Plan = {
  ...FULL,
  throughputTrades: 50_000,
  warmTrades: 5_000,
  latencyMs: 3_000,
  warmupMs: 1_000,
  stored: 200_000,
  rssMs: 5_000,
  slowMs: 4_000,
  deadlineMs: 15_000,
  backlogBytes: 256 * 1024 * 1024,
};

export type Result = { name: string; note?: string } & Record<string, unknown>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `body` with processes it starts through `spawn`, stopping all of them afterwards. */
async function using<T>(body: (spawn: (script: string, argv: string[]) => Proc) => Promise<T>): Promise<T> {
  const procs: Proc[] = [];
  try {
    return await body((script, argv) => {
      const p = new Proc(script, argv);
      procs.push(p);
      return p;
    });
  } finally {
    // Subscribers first, then the server, then the feeder.
    for (const p of procs.reverse()) await p.stop();
  }
}

/** Feeder, DataServer against it (upstream subscribed), and `n` subscribers on the server. */
async function dataserverRig(
  spawn: (script: string, argv: string[]) => Proc,
  n: number,
  backlogBytes: number | undefined,
) {
  const feeder = spawn('feeder', []);
  const { url = '' } = await feeder.next('ready', 15_000);
  const server = spawn('child', ['dataserver', url, ...(backlogBytes ? [String(backlogBytes)] : [])]);
  const { port } = await server.next('ready', 15_000);
  await feeder.next('connected', 15_000);
  const subs = spawn('subscribers', ['subscribers', String(port), String(n)]);
  await subs.next('ready', 30_000);
  return { feeder, server, subs, port };
}

async function cpuOf(server: Proc): Promise<number> {
  server.send({ type: 'cpu' });
  return (await server.next('cpu', 5_000)).us;
}

export async function throughput(plan: Plan): Promise<Result> {
  const count = plan.throughputTrades;
  const ds = await using(async (spawn) => {
    const { feeder, server, subs } = await dataserverRig(spawn, 1, plan.backlogBytes);
    for (const n of [plan.warmTrades, count]) {
      feeder.send({ type: 'prepare', count: n });
      await feeder.next('prepared', 30_000);
      if (n === count) break;
      subs.send({ type: 'expect', count: n });
      feeder.send({ type: 'burst' });
      await subs.next('counted', plan.deadlineMs);
      await feeder.next('fed', 5_000);
    }
    subs.send({ type: 'expect', count });
    const cpu0 = await cpuOf(server);
    const t0 = nowUs();
    feeder.send({ type: 'burst' });
    const done = await subs.next('counted', plan.deadlineMs);
    return { rate: (count / (done.atUs - t0)) * 1e6, cpuUs: (await cpuOf(server)) - cpu0 };
  });
  const bare = await using(async (spawn) => {
    const aedes = spawn('child', ['aedes', String(plan.warmTrades + count)]);
    const { port } = await aedes.next('ready', 30_000);
    const subs = spawn('subscribers', ['subscribers', String(port), '1']);
    await subs.next('ready', 15_000);
    subs.send({ type: 'expect', count: plan.warmTrades });
    aedes.send({ type: 'go', count: plan.warmTrades });
    await subs.next('counted', plan.deadlineMs);
    subs.send({ type: 'expect', count });
    const cpu0 = await cpuOf(aedes);
    const t0 = nowUs();
    aedes.send({ type: 'go', count });
    const done = await subs.next('counted', plan.deadlineMs);
    return { rate: (count / (done.atUs - t0)) * 1e6, cpuUs: (await cpuOf(aedes)) - cpu0 };
  });
  return {
    name: 'throughput',
    trades: count,
    dataserver: Math.round(ds.rate),
    bareAedes: Math.round(bare.rate),
    ratio: Number((ds.rate / bare.rate).toFixed(3)),
    // Server-process CPU per trade: less sensitive to other load on the machine than the rates.
    dataserverCpuUsPerTrade: Number((ds.cpuUs / count).toFixed(2)),
    bareAedesCpuUsPerTrade: Number((bare.cpuUs / count).toFixed(2)),
  };
}

export async function latency(plan: Plan, rate: number, subscribers: number): Promise<Result> {
  return using(async (spawn) => {
    const { feeder, subs } = await dataserverRig(spawn, subscribers, plan.backlogBytes);
    subs.send({ type: 'window', fromUs: nowUs() + plan.warmupMs * 1000 });
    feeder.send({ type: 'paced', rate, durationMs: plan.warmupMs + plan.latencyMs });
    const { sent } = await feeder.next('fed', plan.warmupMs + plan.latencyMs + 15_000);
    await sleep(500); // the last trades in flight (at most 0.5 s; this is not a synchronization)
    subs.send({ type: 'report' });
    const r = await subs.next('report', 10_000);
    const expected = Math.round(((sent * plan.latencyMs) / (plan.warmupMs + plan.latencyMs)) * subscribers);
    return {
      name: 'latency',
      rate,
      subscribers,
      deliveriesPerSecond: rate * subscribers,
      samples: r.samples,
      p50Ms: r.p50Ms,
      p99Ms: r.p99Ms,
      p999Ms: r.p999Ms,
      ...(r.samples < expected * 0.99 ? { note: `${r.samples} of ~${expected} deliveries measured` } : {}),
    };
  });
}

/** Heap per stored trade (forked with --expose-gc), and server RSS over a steady run. */
export async function memory(plan: Plan): Promise<Result> {
  const probe = new Proc('child', ['memory', String(plan.stored)], ['--expose-gc']);
  let heap: { bytesPerTrade: number | null; note?: string };
  try {
    heap = await probe.next('memory', 180_000);
  } finally {
    await probe.stop();
  }
  const rss = await using(async (spawn) => {
    const { feeder, server } = await dataserverRig(spawn, 1, plan.backlogBytes);
    const sample = async () => {
      server.send({ type: 'rss' });
      return (await server.next('rss', 5_000)).mb;
    };
    const start = await sample();
    feeder.send({ type: 'paced', rate: plan.rssRate, durationMs: plan.rssMs });
    // Warm: the store and dedup rings fill within seconds; what follows must stay flat.
    await sleep(Math.min(10_000, plan.rssMs / 4));
    const warm = await sample();
    await feeder.next('fed', plan.rssMs + 15_000);
    const end = await sample();
    return { start, warm, end };
  });
  return {
    name: 'memory',
    trades: plan.stored,
    bytesPerTrade: heap.bytesPerTrade === null ? null : Math.round(heap.bytesPerTrade),
    rssRate: plan.rssRate,
    rssSeconds: plan.rssMs / 1000,
    rssStartMb: Math.round(rss.start),
    rssWarmMb: Math.round(rss.warm),
    rssEndMb: Math.round(rss.end),
    ...(heap.note ? { note: heap.note } : {}),
  };
}

/** 10 subscribers' p99 alone, then with an 11th that stops reading; what the server did about it. */
export async function slowConsumer(plan: Plan): Promise<Result> {
  return using(async (spawn) => {
    const { feeder, server, subs, port } = await dataserverRig(spawn, 10, undefined);
    const phase = async (ms: number) => {
      subs.send({ type: 'window', fromUs: nowUs() + 1_000_000 });
      feeder.send({ type: 'paced', rate: plan.slowRate, durationMs: ms + 1_000 });
      let peakRss = 0;
      const until = performance.now() + ms + 1_000;
      while (performance.now() < until) {
        await sleep(500);
        server.send({ type: 'rss' });
        peakRss = Math.max(peakRss, (await server.next('rss', 5_000)).mb);
      }
      await feeder.next('fed', 15_000);
      await sleep(300);
      subs.send({ type: 'report' });
      return { ...(await subs.next('report', 10_000)), peakRss };
    };
    const alone = await phase(plan.slowMs);
    const slow = spawn('subscribers', ['slow', String(port)]);
    await slow.next('ready', 5_000);
    const { atUs: stalledAt } = await slow.next('stalled', 5_000);
    const withSlow = await phase(plan.slowMs);
    const cut = server.take('disconnected');
    return {
      name: 'slowConsumer',
      rate: plan.slowRate,
      subscribers: 10,
      p99AloneMs: alone.p99Ms,
      p99WithSlowMs: withSlow.p99Ms,
      p99Factor: Number((withSlow.p99Ms / alone.p99Ms).toFixed(2)),
      rssAloneMb: Math.round(alone.peakRss),
      rssWithSlowMb: Math.round(withSlow.peakRss),
      worstBySecondAloneMs: alone.worstBySecondMs,
      worstBySecondWithSlowMs: withSlow.worstBySecondMs,
      slowDisconnectedAfterMs: cut ? Math.round((cut.atUs - stalledAt) / 1000) : null,
      slow: cut
        ? `disconnected ${((cut.atUs - stalledAt) / 1e6).toFixed(1)} s after it stopped reading`
        : `still connected after ${((plan.slowMs + 1_000) / 1000).toFixed(0)} s`,
    };
  });
}

/** Upstream gone and back: feeder accepting again → first trade delivered, backoff subtracted. */
export async function recovery(plan: Plan): Promise<Result> {
  return using(async (spawn) => {
    const { feeder, subs } = await dataserverRig(spawn, 1, plan.backlogBytes);
    feeder.send({ type: 'drop' });
    await feeder.next('dropped', 5_000);
    await sleep(1_000); // a few refused reconnects: the connector is in its backoff cycle
    feeder.send({ type: 'accept', rate: 1_000, durationMs: 2_000 });
    const { atUs: acceptingAt } = await feeder.next('accepting', 5_000);
    subs.send({ type: 'first', afterUs: acceptingAt });
    const { tcpAtUs } = await feeder.next('connected', 10_000);
    const { atUs: firstAt } = await subs.next('first', 10_000);
    await feeder.next('fed', 10_000);
    return {
      name: 'recovery',
      ms: Number(((firstAt - tcpAtUs) / 1000).toFixed(1)),
      backoffMs: Number(((tcpAtUs - acceptingAt) / 1000).toFixed(1)),
      totalMs: Number(((firstAt - acceptingAt) / 1000).toFixed(1)),
    };
  });
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });

/** `dataserver serve` (the real CLI, a fresh process) from spawn to `/ready` answering 200. */
export async function startup(_plan: Plan): Promise<Result> {
  return using(async (spawn) => {
    const feeder = spawn('feeder', []);
    const { url = '' } = await feeder.next('ready', 15_000);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dataserver-bench-'));
    const httpPort = await freePort();
    const file = path.join(dir, 'config.json');
    writeFileSync(
      file,
      JSON.stringify({
        mqtt: { host: '127.0.0.1', port: 0, wsPort: 0 },
        http: { host: '127.0.0.1', port: httpPort },
        log: { level: 'silent' },
        // Always on: ready only once the upstream is connected and every symbol subscribed.
        sources: [{ id: 'blockchain', kind: 'blockchain', url, symbols: [...SYMBOLS], alwaysOn: true }],
      }),
    );
    const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
    const t0 = performance.now();
    const child = spawnProcess(process.execPath, [...serverNodeArgs(), cli, 'serve', '--config', file], {
      stdio: 'ignore',
    });
    try {
      const deadline = t0 + 15_000;
      while (performance.now() < deadline && child.exitCode === null) {
        const ok = await fetch(`http://127.0.0.1:${httpPort}/ready`).then(
          (r) => r.status === 200,
          () => false,
        );
        if (ok) return { name: 'startup', ms: Math.round(performance.now() - t0) };
        await sleep(5);
      }
      throw new Error(child.exitCode === null ? 'not ready within 15 s' : `exited with ${child.exitCode}`);
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      if (child.exitCode === null) child.kill('SIGTERM');
      await Promise.race([exited, sleep(5_000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
