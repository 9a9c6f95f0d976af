import type { SpawnSyncReturns } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, useCliTempDir, writeConfigFile } from '../helpers/cli.js';

const run = (args: string[], env: Record<string, string> = {}) => runCli(args, { env });

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

const dir = useCliTempDir('dataserver-cli-');
const configFile = (name: string, sources: unknown[]) => writeConfigFile(dir(), name, sources);

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
    const missing = join(dir(), 'missing.json');
    expectUsageError(run(['serve', '--config', missing]), missing);
  });

  it('a bad env override', () => {
    const good = configFile('good.json', []);
    expectUsageError(run(['serve', '--config', good], { DATASERVER_MQTT_PORT: 'abc' }), 'mqtt.port');
  });
});
