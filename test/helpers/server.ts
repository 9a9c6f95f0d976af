import { pino } from 'pino';
import { type Config, createServer, type DataServer, parseConfig } from '../../src/runtime/index.js';

export const silentLogger = pino({ level: 'silent' });

/** Retries fast enough for tests, without jitter. */
export const FAST_BACKOFF = { initialDelayMs: 50, maxDelayMs: 200, multiplier: 2, jitter: 0 };

/** A validated config on loopback with ephemeral ports, silent, for the given sources. */
export function loopbackConfig(sources: unknown[], http: Record<string, unknown> = {}): Config {
  return parseConfig({
    mqtt: { host: '127.0.0.1', port: 0, wsPort: 0 },
    http: { host: '127.0.0.1', port: 0, ...http },
    log: { level: 'silent' },
    sources,
  });
}

/** A config on loopback with ephemeral ports and fast retries, for one upstream URL. */
export function testConfig(
  url: string,
  overrides: {
    alwaysOn?: boolean;
    staleAfterMs?: number;
    ackTimeoutMs?: number;
    lingerMs?: number;
    symbols?: readonly string[];
  } = {},
): Config {
  return loopbackConfig([
    {
      id: 'blockchain',
      kind: 'blockchain',
      url,
      symbols: ['BTC-USD', 'ETH-USD'],
      backoff: FAST_BACKOFF,
      lingerMs: 0,
      ...overrides,
    },
  ]);
}

export async function startTestServer(
  url: string,
  overrides?: Parameters<typeof testConfig>[1],
): Promise<DataServer> {
  return createServer(testConfig(url, overrides), silentLogger);
}
