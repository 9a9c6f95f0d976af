import { execFile, execFileSync, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../simulator/index.js';
import type { DataServer } from '../../src/runtime/index.js';
import { CONTRACT_TRADE_FIELDS } from '../helpers/contract.js';
import { startTestServer } from '../helpers/server.js';

/** A client nobody wrote for DataServer: Debian's mosquitto-clients (installed by .ci/run). */
const hasMosquitto = (() => {
  try {
    execFileSync('mosquitto_sub', ['--help'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    // mosquitto_sub --help exits 1 after printing usage; only a missing binary is ENOENT.
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
})();

/** Runs mosquitto_sub until it has printed `count` messages (-C), with a deadline (-W). */
function mosquittoSub(port: number, topic: string, count: number, seconds = 10): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('mosquitto_sub', [
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      '-t',
      topic,
      '-v',
      '-C',
      String(count),
      '-W',
      String(seconds),
    ]);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const lines = out.split('\n').filter(Boolean);
      if (code === 0) resolve(lines);
      else reject(new Error(`mosquitto_sub exited ${code} after ${lines.length} messages: ${err.trim()}`));
    });
  });
}

describe.skipIf(!hasMosquitto)('with mosquitto-clients', () => {
  let sim: Simulator;
  let server: DataServer;
  beforeAll(async () => {
    sim = await startSimulator({ port: 0, rate: 50 });
    server = await startTestServer(sim.url);
  });
  afterAll(async () => {
    await server?.stop();
    await sim?.close();
  });

  it('mosquitto_sub receives trades with exactly the contract fields, and its demand subscribes upstream', async () => {
    const lines = await mosquittoSub(server.broker.port, 'trades/#', 6);
    for (const line of lines) {
      const [topic, payload] = [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)];
      const trade = JSON.parse(payload) as Record<string, unknown>;
      expect(Object.keys(trade)).toEqual(CONTRACT_TRADE_FIELDS);
      expect(topic).toBe(`trades/blockchain/${trade.symbol}`);
    }
  });

  it('shows the retained status at once', async () => {
    const [line] = await mosquittoSub(server.broker.port, 'status/#', 1, 5);
    expect(line).toMatch(/^status\/blockchain \{"source":"blockchain","state":"\w+"/);
  });

  it('a forged trade published with mosquitto_pub reaches no subscriber', async () => {
    const subscribed = new Promise<void>((resolve) => server.broker.aedes.once('subscribe', () => resolve()));
    const reading = mosquittoSub(server.broker.port, 'trades/blockchain/BTC-USD', 20);
    await subscribed;
    // Asynchronously: the server runs in this process and must answer mosquitto_pub meanwhile.
    const port = String(server.broker.port);
    const forged = [
      '-h',
      '127.0.0.1',
      '-p',
      port,
      '-t',
      'trades/blockchain/BTC-USD',
      '-m',
      '{"forged":true}',
    ];
    await promisify(execFile)('mosquitto_pub', forged);
    const lines = await reading;
    expect(lines.filter((l) => l.includes('forged'))).toEqual([]);
    expect(server.broker.stats.refusedPublishes).toBeGreaterThanOrEqual(1);
  });
});
