import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataServerError } from '../../src/domain/index.js';
import { type Config, loadConfig, parseConfig } from '../../src/runtime/config/index.js';

/** The demo configuration printed in CONTRACT §2: what applies with no file and no env. */
/**
 * CONTRACT §2's demo config, plus what was added since (mqtt.limits, the demo's coinbase source,
 * and `venueSymbols`, the parsed form of a `symbols` map).
 */
const CONTRACT_DEFAULTS = {
  mqtt: {
    host: '0.0.0.0',
    port: 1883,
    wsPort: 8083,
    limits: {
      maxConnections: 10_000,
      maxSubscriptionsPerClient: 100,
      maxPacketBytes: 262_144,
      maxClientBacklogBytes: 1_048_576,
      drainTimeoutMs: 5_000,
    },
  },
  http: { host: '0.0.0.0', port: 8080, adminToken: '' },
  log: { level: 'info' },
  store: { maxTradesPerSymbol: 10000 },
  sources: [
    {
      id: 'blockchain',
      kind: 'blockchain',
      url: 'ws://127.0.0.1:5000/ws',
      token: '',
      symbols: ['BTC-USD', 'ETH-USD'],
      alwaysOn: false,
      backoff: { initialDelayMs: 1000, maxDelayMs: 30000, multiplier: 2, jitter: 0.2 },
      staleAfterMs: 15000,
      ackTimeoutMs: 10000,
      lingerMs: 2000,
      venueSymbols: {},
    },
    {
      id: 'coinbase',
      kind: 'coinbase',
      url: 'ws://127.0.0.1:5000/coinbase',
      token: '',
      symbols: ['BTC-USD', 'ETH-USD'],
      alwaysOn: false,
      backoff: { initialDelayMs: 1000, maxDelayMs: 30000, multiplier: 2, jitter: 0.2 },
      staleAfterMs: 15000,
      ackTimeoutMs: 10000,
      lingerMs: 2000,
      venueSymbols: {},
    },
  ],
};

const dir = mkdtempSync(join(tmpdir(), 'dataserver-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
/** Writes `content` (an object as JSON, or raw text) to a new temp file and returns its path. */
function configFile(content: unknown): string {
  const path = join(dir, `config-${++files}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** The error `fn` throws; fails the test when it does not throw. */
function thrown(fn: () => unknown): DataServerError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DataServerError);
    return err as DataServerError;
  }
  throw new Error('expected an error, none was thrown');
}

describe('config defaults', () => {
  it('an empty config is the CONTRACT §2 demo config', () => {
    expect(parseConfig({})).toEqual(CONTRACT_DEFAULTS);
  });

  it('with no file and no env, loadConfig gives the demo config', () => {
    expect(loadConfig({ env: {} })).toEqual(CONTRACT_DEFAULTS);
  });

  it('every key left out of a section takes its default', () => {
    const config = parseConfig({ mqtt: { port: 1999 }, sources: [{ id: 'other' }] });
    expect(config.mqtt).toEqual({ ...CONTRACT_DEFAULTS.mqtt, port: 1999 });
    expect(config.http).toEqual(CONTRACT_DEFAULTS.http);
    expect(config.sources).toEqual([{ ...CONTRACT_DEFAULTS.sources[0], id: 'other' }]);
  });

  it('a partial backoff keeps the defaults of its other keys', () => {
    const config = parseConfig({ sources: [{ id: 'a', backoff: { multiplier: 3 } }] });
    expect(config.sources[0]?.backoff).toEqual({ ...CONTRACT_DEFAULTS.sources[0]!.backoff, multiplier: 3 });
  });
});

describe('config file', () => {
  it('is read from `file`', () => {
    const file = configFile({ mqtt: { port: 1999 }, log: { level: 'debug' } });
    const config = loadConfig({ file, env: {} });
    expect(config.mqtt.port).toBe(1999);
    expect(config.log.level).toBe('debug');
    expect(config.http).toEqual(CONTRACT_DEFAULTS.http);
  });

  it('is read from DATASERVER_CONFIG', () => {
    const file = configFile({ http: { port: 9999 } });
    expect(loadConfig({ env: { DATASERVER_CONFIG: file } }).http.port).toBe(9999);
  });

  it('--config wins over DATASERVER_CONFIG', () => {
    const flag = configFile({ mqtt: { port: 1111 } });
    const env = configFile({ mqtt: { port: 2222 } });
    expect(loadConfig({ file: flag, env: { DATASERVER_CONFIG: env } }).mqtt.port).toBe(1111);
  });

  it('a file that is not JSON gives one clear line naming the file', () => {
    const file = configFile('{ "mqtt": { "port": 1883, } // oops');
    const err = thrown(() => loadConfig({ file, env: {} }));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toContain(file);
    expect(err.message).toMatch(/JSON/);
    expect(err.message).not.toContain('\n');
  });

  it('a missing file gives one clear line naming the file', () => {
    const file = join(dir, 'no-such-config.json');
    const err = thrown(() => loadConfig({ file, env: {} }));
    expect(err.code).toBe('CONFIG_UNREADABLE');
    expect(err.message).toContain(file);
    expect(err.message).not.toContain('\n');
  });

  it('a missing file named by DATASERVER_CONFIG is an error, not the defaults', () => {
    const file = join(dir, 'also-missing.json');
    expect(thrown(() => loadConfig({ env: { DATASERVER_CONFIG: file } })).message).toContain(file);
  });

  it('a bad ackTimeoutMs names the key', () => {
    for (const ackTimeoutMs of [0, 2.5, '10000']) {
      const err = thrown(() => parseConfig({ sources: [{ id: 'a', ackTimeoutMs }] }));
      expect(err.code).toBe('CONFIG_INVALID');
      expect(err.message).toContain('sources[0].ackTimeoutMs');
    }
    expect(parseConfig({ sources: [{ id: 'a', ackTimeoutMs: 500 }] }).sources[0]?.ackTimeoutMs).toBe(500);
  });

  it('a file with a bad value names the key', () => {
    const file = configFile({ sources: [{ id: 'a', backoff: { multiplier: 0.5 } }] });
    const err = thrown(() => loadConfig({ file, env: {} }));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toContain('sources[0].backoff.multiplier');
  });
});

describe('config env overrides', () => {
  it('DATASERVER_MQTT_PORT sets mqtt.port as a number', () => {
    expect(loadConfig({ env: { DATASERVER_MQTT_PORT: '1884' } }).mqtt.port).toBe(1884);
  });

  it('DATASERVER_HTTP_PORT sets http.port as a number', () => {
    expect(loadConfig({ env: { DATASERVER_HTTP_PORT: '0' } }).http.port).toBe(0);
  });

  it('DATASERVER_LOG_LEVEL sets log.level', () => {
    expect(loadConfig({ env: { DATASERVER_LOG_LEVEL: 'warn' } }).log.level).toBe('warn');
  });

  it('env overrides win over the file and leave its other keys alone', () => {
    const file = configFile({
      mqtt: { host: '127.0.0.1', port: 1111, wsPort: 0 },
      http: { port: 2222, adminToken: 'secret' },
      log: { level: 'error' },
    });
    const config = loadConfig({
      file,
      env: { DATASERVER_MQTT_PORT: '3333', DATASERVER_HTTP_PORT: '4444', DATASERVER_LOG_LEVEL: 'trace' },
    });
    expect(config.mqtt).toEqual({ ...CONTRACT_DEFAULTS.mqtt, host: '127.0.0.1', port: 3333, wsPort: 0 });
    expect(config.http).toEqual({ host: '0.0.0.0', port: 4444, adminToken: 'secret' });
    expect(config.log.level).toBe('trace');
  });

  it('env overrides leave every other key at its default', () => {
    const config = loadConfig({ env: { DATASERVER_MQTT_PORT: '1884' } });
    expect(config).toEqual({ ...CONTRACT_DEFAULTS, mqtt: { ...CONTRACT_DEFAULTS.mqtt, port: 1884 } });
  });

  it('a bad env value names the variable and the key it overrides', () => {
    expect(thrown(() => loadConfig({ env: { DATASERVER_MQTT_PORT: 'abc' } })).message).toMatch(
      /^DATASERVER_MQTT_PORT \(mqtt\.port\): /,
    );
    expect(thrown(() => loadConfig({ env: { DATASERVER_HTTP_PORT: '70000' } })).message).toContain(
      'http.port',
    );
    expect(thrown(() => loadConfig({ env: { DATASERVER_LOG_LEVEL: 'loud' } })).message).toContain(
      'log.level',
    );
  });
});

describe('config validation', () => {
  it.each([
    [{ mqtt: { prot: 1883 } }, 'mqtt.prot'],
    [{ mqttt: {} }, 'mqttt'],
    [{ http: { adminTokn: 'x' } }, 'http.adminTokn'],
    [{ sources: [{ id: 'a', symbol: ['BTC-USD'] }] }, 'sources[0].symbol'],
    [{ sources: [{ id: 'a' }, { id: 'b', urll: 'ws://x' }] }, 'sources[1].urll'],
    [{ sources: [{ id: 'a', backoff: { multipler: 3 } }] }, 'sources[0].backoff.multipler'],
  ])('rejects the unknown key in %j, naming %s', (raw, path) => {
    const err = thrown(() => parseConfig(raw));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toContain(path);
  });

  it('sources[0].backoff.multiplier 0.5 gives one line naming the key', () => {
    const err = thrown(() => parseConfig({ sources: [{ id: 'a', backoff: { multiplier: 0.5 } }] }));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toContain('sources[0].backoff.multiplier');
    expect(err.message).not.toContain('\n');
  });

  it('rejects duplicate source ids', () => {
    const err = thrown(() =>
      parseConfig({ sources: [{ id: 'a' }, { id: 'b' }, { id: 'a', url: 'ws://127.0.0.1:6000/ws' }] }),
    );
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toMatch(/sources/);
  });

  it('rejects a config that is not an object', () => {
    expect(thrown(() => parseConfig([])).code).toBe('CONFIG_INVALID');
    expect(thrown(() => parseConfig('{}')).code).toBe('CONFIG_INVALID');
  });

  it('rejects a port out of range, naming it', () => {
    expect(thrown(() => parseConfig({ mqtt: { wsPort: 65536 } })).message).toContain('mqtt.wsPort');
  });
});

describe('config result', () => {
  const frozenEverywhere = (config: Config) => {
    const nested: unknown[] = [
      config,
      config.mqtt,
      config.http,
      config.log,
      config.store,
      config.sources,
      ...config.sources.flatMap((s) => [s, s.backoff, s.symbols]),
    ];
    for (const value of nested) expect(Object.isFrozen(value)).toBe(true);
  };

  it('is deeply frozen', () => {
    const config = parseConfig({});
    frozenEverywhere(config);
    expect(() => {
      (config.mqtt as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => {
      (config.sources[0]!.symbols as string[]).push('DOGE-USD');
    }).toThrow(TypeError);
    expect(() => {
      (config.sources[0]!.backoff as { multiplier: number }).multiplier = 9;
    }).toThrow(TypeError);
  });

  it('is deeply frozen when loaded from a file too', () => {
    const file = configFile({ sources: [{ id: 'a' }, { id: 'b', symbols: ['X-Y'] }] });
    frozenEverywhere(loadConfig({ file, env: {} }));
  });

  it('one loaded config does not leak into the next', () => {
    const first = parseConfig({ sources: [{ id: 'a', symbols: ['A-B'] }] });
    const second = parseConfig({});
    expect(first.sources[0]?.symbols).toEqual(['A-B']);
    expect(second).toEqual(CONTRACT_DEFAULTS);
  });
});

describe('symbol mapping', () => {
  it('takes a map of topic symbol to venue symbol, and keeps topics in one naming', () => {
    const config = parseConfig({
      sources: [{ id: 'k', symbols: { 'BTC-USD': 'XBT/USD', 'ETH-USD': 'ETH-USD' } }],
    });
    expect(config.sources[0]).toMatchObject({
      symbols: ['BTC-USD', 'ETH-USD'],
      venueSymbols: { 'BTC-USD': 'XBT/USD' },
    });
  });
  it('rejects a map whose topic side is not a symbol, or two symbols sharing a venue name', () => {
    expect(() => parseConfig({ sources: [{ id: 'k', symbols: { 'BTC/USD': 'XBT' } }] })).toThrow(
      /sources\[0\]\.symbols/,
    );
    expect(() => parseConfig({ sources: [{ id: 'k', symbols: { A: 'X', B: 'X' } }] })).toThrow(
      /one venue name/,
    );
  });
});
