import { type ChildProcess, spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocketServer } from 'ws';
import { type Simulator, startSimulator } from '../../simulator/index.js';
import { DataServerError } from '../../src/domain/index.js';
import { parseConfig } from '../../src/runtime/index.js';
import { cleanEnv, MAIN, ROOT, runCli, useCliTempDir, writeConfigFile } from '../helpers/cli.js';

const dir = useCliTempDir('dataserver-inspect-');
const configFile = (name: string, sources: unknown[]) => writeConfigFile(dir(), name, sources, 'info');

describe('dataserver serve --inspect-url', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  it('streams the live actor system to a loopback receiver and still shuts down cleanly', async () => {
    const receiver = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => receiver.once('listening', () => resolve()));
    cleanups.push(() => new Promise<void>((resolve) => receiver.close(() => resolve())));
    const events: Array<{ type: string; name?: string; sessionId: string; snapshot?: { value?: unknown } }> =
      [];
    receiver.on('connection', (socket) =>
      socket.on('message', (data) => events.push(JSON.parse(String(data)))),
    );
    const url = `ws://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

    const sim: Simulator = await startSimulator({ port: 0, rate: 50 });
    cleanups.push(() => sim.close());
    const config = configFile('inspect.json', [
      { id: 'blockchain', url: sim.url, backoff: { initialDelayMs: 50, maxDelayMs: 200, jitter: 0 } },
    ]);

    const child: ChildProcess = spawn(
      process.execPath,
      [MAIN, 'serve', '--config', config, '--inspect-url', url],
      {
        cwd: ROOT,
        env: cleanEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    child.stdout?.on('data', (d) => {
      stdout += String(d);
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    });

    await vi.waitFor(
      () => {
        const names = events.filter((e) => e.type === '@xstate.actor').map((e) => e.name);
        expect(names).toEqual(expect.arrayContaining(['supervisor', 'subscriptions', 'blockchain']));
        const connector = events.find(
          (e) => e.type === '@xstate.actor' && e.name === 'blockchain',
        )?.sessionId;
        expect(
          events.some(
            (e) =>
              e.type === '@xstate.snapshot' &&
              e.sessionId === connector &&
              JSON.stringify(e.snapshot?.value) === '{"session":"subscribed"}',
          ),
        ).toBe(true);
      },
      { timeout: 15_000, interval: 20 },
    );
    // The log says where the events go.
    const logged = stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { component?: string; url?: string });
    expect(logged.find((l) => l.component === 'inspector')?.url).toBe(url);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('refuses a URL that is not ws:// or wss://, naming the flag, and starts nothing', () => {
    const result = runCli(['serve', '--inspect-url', 'http://127.0.0.1:1']);
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('--inspect-url');
    expect(result.stdout).toBe('');
  });

  it('lists --inspect and --inspect-url in serve --help', () => {
    const result = runCli(['serve', '--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('--inspect ');
    expect(result.stdout).toContain('--inspect-url WS_URL');
    expect(result.stdout).toContain('stately.ai');
  });
});

describe('source ids that name other actors of machines/', () => {
  it.each(['supervisor', 'subscriptions'])('config refuses the source id "%s", naming the key', (id) => {
    let error: unknown;
    try {
      parseConfig({ sources: [{ id }] });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DataServerError);
    expect((error as DataServerError).code).toBe('CONFIG_INVALID');
    expect((error as Error).message).toContain('sources[0].id');
    expect((error as Error).message).toContain('reserved');
  });

  it('serve exits 2 on such a config, naming the key', () => {
    const config = configFile('reserved.json', [{ id: 'supervisor' }]);
    const result = runCli(['serve', '--config', config]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('sources[0].id');
  });

  it('other ids stay valid', () => {
    expect(
      parseConfig({ sources: [{ id: 'supervisors' }, { id: 'kraken' }] }).sources.map((s) => s.id),
    ).toEqual(['supervisors', 'kraken']);
  });
});
