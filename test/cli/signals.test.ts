import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { RecordingClient } from '../helpers/mqtt.js';

const CLI = new URL('../../dist/src/cli/main.js', import.meta.url).pathname;

/** Starts `dataserver serve` on ephemeral ports and resolves with its MQTT port, read from its JSON log. */
async function serve(): Promise<{ child: ChildProcess; port: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'dataserver-signals-'));
  const config = join(dir, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({
      mqtt: { host: '127.0.0.1', port: 0, wsPort: 0 },
      http: { host: '127.0.0.1', port: 0 },
      // Nothing listens there: the connector backs off, which must not hold up a shutdown.
      sources: [
        { id: 'nowhere', url: 'ws://127.0.0.1:9/ws', backoff: { initialDelayMs: 50, maxDelayMs: 100 } },
      ],
    }),
  );
  const child = spawn(process.execPath, [CLI, 'serve', '--config', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  for await (const line of lines) {
    const entry = JSON.parse(line) as { msg?: string; port?: number };
    if (entry.msg?.startsWith('MQTT broker listening') && entry.port) return { child, port: entry.port };
  }
  throw new Error('server exited before listening');
}

describe('dataserver serve and signals', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill('SIGKILL');
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`on ${signal} says offline to subscribers first, then exits 0 within 2 s`, async () => {
      const started = await serve();
      child = started.child;
      const client = await RecordingClient.connect(`mqtt://127.0.0.1:${started.port}`);
      await client.subscribe('dataserver/status', 'status/nowhere');
      await client.waitFor(
        (m) => m.topic === 'dataserver/status' && client.json(m).state === 'online',
        'online',
      );
      const exited = once(child, 'exit');
      const sentAt = Date.now();
      child.kill(signal);
      await client.waitFor(
        (m) => m.topic === 'dataserver/status' && client.json(m).state === 'offline',
        'offline',
      );
      await client.waitFor(
        (m) => m.topic === 'status/nowhere' && client.json(m).state === 'stopped',
        'source stopped',
      );
      const [code] = await exited;
      expect(code).toBe(0);
      expect(Date.now() - sentAt).toBeLessThan(2000);
      await client.close();
    });
  }
});
