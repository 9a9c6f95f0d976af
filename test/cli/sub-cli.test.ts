import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../simulator/index.js';
import { stripAnsi } from '../../src/cli/sub-ansi.js';
import type { DataServer } from '../../src/runtime/index.js';
import { MAIN } from '../helpers/cli.js';
import { RecordingClient } from '../helpers/mqtt.js';
import { startTestServer } from '../helpers/server.js';
import { Recorder, recordLines } from './sub-helpers.js';

// The built CLI (`npm test` builds first), run as a user would, against a real server and simulator.
const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

describe('dataserver sub, the built command', () => {
  let sim: Simulator;
  let server: DataServer;
  let watcher: RecordingClient;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    expect(existsSync(MAIN), `${MAIN} is missing: build first (npx tsc -p .)`).toBe(true);
    sim = await startSimulator({ port: 0, rate: 50 });
    server = await startTestServer(sim.url);
    watcher = await RecordingClient.connect(url());
    await watcher.subscribe('status/blockchain');
  });
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  });
  afterAll(async () => {
    await watcher?.close();
    await server?.stop();
    await sim?.close();
  });

  function url(): string {
    return `mqtt://127.0.0.1:${server.broker.port}`;
  }

  function run(args: string[]): { child: ChildProcess; out: Recorder<string>; err: Recorder<string> } {
    const child = spawn(process.execPath, [MAIN, 'sub', '--url', url(), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    children.push(child);
    return { child, out: recordLines(child.stdout!), err: recordLines(child.stderr!) };
  }

  /** Waits for the retained/live status of BTC-USD demand to become `state`, after message `from`. */
  const demand = (state: string, from: number) =>
    watcher.waitFor(
      (m) => watcher.json<{ symbols: Record<string, string> }>(m).symbols['BTC-USD'] === state,
      `BTC-USD ${state}`,
      from,
    );

  it('--lines: one readable line per trade and per status; SIGTERM ends it with 0', async () => {
    const { child, out, err } = run(['--lines', 'BTC-USD']);
    await err.waitFor((l) => l.includes(`connected to ${url()}`), 'connected');
    await out.waitForCount(
      (l) => /^\S+Z {2}blockchain BTC-USD {3}(BUY |SELL) +[\d.e-]+ @ [\d.]+$/.test(l),
      5,
      'trade lines',
    );
    await out.waitFor((l) => l.startsWith('[status] blockchain: subscribed attempt 0'), 'a status line');
    expect(out.items.some((l) => l.includes('ETH-USD') && !l.startsWith('[status]'))).toBe(false);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    expect((await exited)[0]).toBe(0);
  });

  it('--json --history N: JSON lines {topic, payload}, the history first, no trade twice', async () => {
    const feed = await RecordingClient.connect(url());
    await feed.subscribe('trades/blockchain/ETH-USD');
    await feed.waitForCount(() => true, 10, 'trades to remember');
    const { child, out } = run(['--json', '--history', '5', '--source', 'blockchain', 'ETH-USD']);
    await out.waitForCount((l) => l.includes('"topic":"trades/'), 15, 'history and live trades');
    const lines = out.items.map((l) => JSON.parse(l) as { topic: string; payload: { tradeId?: string } });
    for (const l of lines) expect(Object.keys(l)).toEqual(['topic', 'payload']);
    const trades = lines.filter((l) => l.topic === 'trades/blockchain/ETH-USD').map((l) => l.payload.tradeId);
    expect(new Set(trades).size).toBe(trades.length);
    const truth = feed.messages.map((m) => feed.json<{ tradeId: string }>(m).tradeId);
    const first = truth.indexOf(trades[0] as string);
    expect(first, 'the first line is a stored trade the feed saw').toBeGreaterThanOrEqual(0);
    await feed.waitFor((m) => m.payload.includes(`"${trades.at(-1)}"`), 'the feed caught up');
    expect(
      feed.messages.slice(first, first + trades.length).map((m) => feed.json<{ tradeId: string }>(m).tradeId),
    ).toEqual(trades);
    child.kill('SIGTERM');
    await feed.close();
  });

  it('a bad flag exits 2 with one line', () => {
    const result = spawnSync(process.execPath, [MAIN, 'sub', '--history', 'x'], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('--history');
  });

  // A real terminal: the live table, and the keys typed into it.
  it.skipIf(!hasScript)('on a terminal: the live table; a, g and q typed at the keyboard', async () => {
    const command = `stty cols 110 rows 30; exec ${process.execPath} ${MAIN} sub --url ${url()}`;
    const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.push(child);
    let screen = '';
    const frames = new Recorder<string>();
    child.stdout!.on('data', (chunk: Buffer) => {
      screen += chunk.toString('utf8');
      frames.push(chunk.toString('utf8'));
    });
    const plain = () => stripAnsi(screen);
    await frames.waitFor(() => /blockchain +BTC-USD +\d+\.\d+/.test(plain()), 'a BTC-USD row');
    await frames.waitFor(() => /blockchain {2}subscribed {2}attempt 0/.test(plain()), 'a status line');
    expect(screen).toContain('\x1b[?1049h'); // the alternate screen, redrawn in place
    expect(plain()).toMatch(/SOURCE +SYMBOL +LAST +CHG +CHG% +T\/S +SIDE +TIME/);
    expect(plain()).toContain('● connected');

    await demand('subscribed', 0);
    for (const key of ['a', 'g']) {
      const from = watcher.mark();
      child.stdin!.write(`${key}\r`);
      const idle = await demand('idle', from);
      await demand('subscribed', idle.index + 1);
    }
    expect(plain()).toContain('disconnected by you (abrupt)');
    expect(plain()).toContain('disconnected by you (graceful)');

    const exited = once(child, 'exit');
    child.stdin!.write('q\r');
    expect((await exited)[0]).toBe(0);
    expect(screen).toContain('\x1b[?1049l'); // the terminal is given back
  });
});
