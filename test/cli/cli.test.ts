import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Runs the built CLI (`npm test` builds first), as a user would.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');

/** The environment without any DATASERVER_* the caller happens to have. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env))
    if (!key.startsWith('DATASERVER_')) env[key] = value;
  return { ...env, ...extra };
}

function run(args: string[], env: Record<string, string> = {}): SpawnSyncReturns<string> {
  // A command that starts something instead of exiting would hang: the timeout turns that into a failure.
  return spawnSync(process.execPath, [MAIN, ...args], {
    cwd: ROOT,
    env: cleanEnv(env),
    encoding: 'utf8',
    timeout: 10_000,
  });
}

/** Exited on its own with status 2 and one line on stderr containing `names`, no stack, nothing on stdout. */
function expectUsageError(result: SpawnSyncReturns<string>, names: string): void {
  expect(result.error, 'the process should exit by itself').toBeUndefined();
  expect(result.signal).toBeNull();
  expect(result.status).toBe(2);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toContain(names);
  expect(result.stderr).not.toMatch(/^\s*at /m);
  expect(result.stdout).toBe('');
}

let dir = '';
beforeAll(() => {
  expect(existsSync(MAIN), `${MAIN} is missing: build first (npx tsc -p .)`).toBe(true);
  dir = mkdtempSync(join(tmpdir(), 'dataserver-cli-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A config on loopback and free ports, so that wrongly starting could not clash with anything. */
function configFile(name: string, sources: unknown[]): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    JSON.stringify({
      mqtt: { host: '127.0.0.1', port: 0, wsPort: 0 },
      http: { host: '127.0.0.1', port: 0 },
      log: { level: 'silent' },
      sources,
    }),
  );
  return path;
}

const badConfigFile = () =>
  configFile('bad-multiplier.json', [{ id: 'blockchain', backoff: { multiplier: 0.5 } }]);

describe('dataserver --help', () => {
  it('prints the usage with every command and exits 0', () => {
    const result = run(['--help']);
    expect(result.error).toBeUndefined();
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/Usage: dataserver/);
    for (const command of ['serve', 'simulate', 'demo', 'sub']) expect(result.stdout).toContain(command);
    expect(result.stderr).toBe('');
  });

  it.each(['serve', 'simulate', 'sub', 'demo'])('%s --help prints its usage and exits 0', (command) => {
    const result = run([command, '--help']);
    expect(result.error).toBeUndefined();
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`Usage: dataserver ${command}`);
    expect(result.stderr).toBe('');
  });

  it('serve --help lists its flag and the environment variables', () => {
    const { stdout } = run(['serve', '--help']);
    expect(stdout).toContain('--config');
    for (const name of [
      'DATASERVER_CONFIG',
      'DATASERVER_MQTT_PORT',
      'DATASERVER_HTTP_PORT',
      'DATASERVER_LOG_LEVEL',
    ])
      expect(stdout).toContain(name);
  });

  it('simulate --help lists --port, --rate and --seed', () => {
    const { stdout } = run(['simulate', '--help']);
    for (const flag of ['--port', '--rate', '--seed']) expect(stdout).toContain(flag);
  });

  it('sub --help lists --source and --json', () => {
    const { stdout } = run(['sub', '--help']);
    for (const flag of ['--source', '--json']) expect(stdout).toContain(flag);
  });
});

describe('dataserver usage errors: exit 2, one line naming the culprit, nothing started', () => {
  it('an unknown command', () => {
    expectUsageError(run(['nope']), 'nope');
  });

  it('an unknown flag: serve --bogus', () => {
    expectUsageError(run(['serve', '--bogus']), '--bogus');
  });

  it('a port out of range: simulate --port 99999', () => {
    expectUsageError(run(['simulate', '--port', '99999']), '--port');
  });

  it('a negative rate: simulate --rate -1', () => {
    expectUsageError(run(['simulate', '--port', '0', '--rate', '-1']), '--rate');
  });

  it('a negative rate: simulate --rate=-1', () => {
    expectUsageError(run(['simulate', '--port', '0', '--rate=-1']), '--rate');
  });

  it('a bad source id: sub --source', () => {
    expectUsageError(run(['sub', '--source', 'Not/A/Source']), '--source');
  });

  it('a bad config file given with serve --config', () => {
    expectUsageError(run(['serve', '--config', badConfigFile()]), 'sources[0].backoff.multiplier');
  });

  it('a bad config file given with DATASERVER_CONFIG', () => {
    expectUsageError(
      run(['serve'], {
        DATASERVER_CONFIG: badConfigFile(),
        DATASERVER_MQTT_PORT: '0',
        DATASERVER_HTTP_PORT: '0',
      }),
      'sources[0].backoff.multiplier',
    );
  });

  it('a bad config file given to demo --config', () => {
    expectUsageError(run(['demo', '--config', badConfigFile()]), 'sources[0].backoff.multiplier');
  });

  it('a config file that does not exist', () => {
    const missing = join(dir, 'missing.json');
    expectUsageError(run(['serve', '--config', missing]), missing);
  });

  it('a bad env override', () => {
    const good = configFile('good.json', []);
    expectUsageError(run(['serve', '--config', good], { DATASERVER_MQTT_PORT: 'abc' }), 'mqtt.port');
  });
});
