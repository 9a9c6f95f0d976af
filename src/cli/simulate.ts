import {
  attachKeyboard,
  loadScenario,
  type ParsedScenario,
  type Simulator,
  type SimulatorOptions,
  startSimulator,
} from '../../simulator/index.js';
import { DataServerError } from '../domain/index.js';
import { createLogger } from '../runtime/index.js';
import { intFlag, numberFlag, parseFlags } from './args.js';
import { onShutdownSignal } from './lifecycle.js';

export const SIMULATE_USAGE = `Usage: dataserver simulate [--port 5000] [--host 127.0.0.1] [--rate N] [--seed S] [--symbols A,B]
                           [--dialect both] [--scenario FILE]

Runs the upstream exchange simulator: the Blockchain.com Exchange WebSocket dialect at
ws://HOST:PORT/ws and the Coinbase Exchange one (matches, heartbeat) at ws://HOST:PORT/coinbase,
both on the same markets. Faults: POST /control/fault on the same port (GET /control/status), a
--scenario file, or, in a terminal, type h and Enter for the fault keys.

  --port N        port to listen on (default 5000; 0 picks a free one)
  --host H        address to listen on (default 127.0.0.1)
  --rate N        trades per second per subscribed symbol (default 5)
  --seed S        random seed: the same seed gives the same prices (default 1)
  --symbols LIST  comma-separated symbols offered (default BTC-USD,ETH-USD)
  --dialect D     blockchain, coinbase or both: the paths that accept connections (default both)
  --scenario FILE faults to apply at set times: {"faults":[{"atMs":1000,"fault":{"kind":"abrupt"}}]}
  --pretty        human-readable logs (default when stdout is a terminal)
  -h, --help      this text`;

export interface SimulateFlags {
  port: number;
  host: string;
  rate: number;
  seed: number;
  symbols: string[];
  dialect: DialectFlag;
  pretty: boolean | undefined;
  scenario: string | undefined;
}

const DIALECT_FLAGS = ['blockchain', 'coinbase', 'both'] as const;
export type DialectFlag = (typeof DIALECT_FLAGS)[number];

function dialectFlag(value: string | undefined): DialectFlag {
  if (value === undefined) return 'both';
  const found = DIALECT_FLAGS.find((d) => d === value);
  if (found === undefined) {
    throw new DataServerError('USAGE', `--dialect: expected blockchain, coinbase or both, got "${value}"`);
  }
  return found;
}

export function parseSimulate(argv: string[]): SimulateFlags | 'help' {
  const { values } = parseFlags(argv, {
    port: { type: 'string' },
    host: { type: 'string' },
    rate: { type: 'string' },
    seed: { type: 'string' },
    symbols: { type: 'string' },
    dialect: { type: 'string' },
    pretty: { type: 'boolean' },
    scenario: { type: 'string' },
  });
  if (values.help) return 'help';
  return {
    port: intFlag('port', values.port, 5000, 0, 65535),
    host: values.host ?? '127.0.0.1',
    rate: numberFlag('rate', values.rate, 5),
    seed: intFlag('seed', values.seed, 1, 0, 2 ** 32 - 1),
    symbols: values.symbols ? values.symbols.split(',').filter(Boolean) : ['BTC-USD', 'ETH-USD'],
    dialect: dialectFlag(values.dialect),
    pretty: values.pretty,
    scenario: values.scenario,
  };
}

/** The simulator's own options among the flags (its options are strict: no `pretty`, no `scenario`). */
export function simulatorOptions(flags: SimulateFlags): SimulatorOptions {
  const { scenario: _scenario, pretty: _pretty, dialect, ...options } = flags;
  return { ...options, dialects: dialect === 'both' ? ['blockchain', 'coinbase'] : [dialect] };
}

/** The URLs that accept connections, as logged. */
function urls(sim: Simulator, dialect: DialectFlag): { url: string } | { url: string; coinbaseUrl: string } {
  if (dialect === 'both') return { url: sim.url, coinbaseUrl: sim.coinbaseUrl };
  return { url: dialect === 'coinbase' ? sim.coinbaseUrl : sim.url };
}

export async function runSimulate(argv: string[]): Promise<void> {
  const flags = parseSimulate(argv);
  if (flags === 'help') return void console.log(SIMULATE_USAGE);
  const scenarioPath = flags.scenario;
  // Validated before anything starts: a bad file exits 2 with one line naming the problem.
  const scenario: ParsedScenario | undefined =
    scenarioPath === undefined ? undefined : await loadScenario(scenarioPath);
  const logger = createLogger({ level: 'info', pretty: flags.pretty }).child({ component: 'simulator' });
  const sim = await startSimulator({ ...simulatorOptions(flags), logger });
  logger.info({ ...urls(sim, flags.dialect), rate: flags.rate, symbols: flags.symbols }, 'simulator ready');
  onShutdownSignal(() => sim.close(), logger);
  if (scenario !== undefined) {
    sim.runScenario(scenario).then(
      () => logger.info({ scenario: scenarioPath }, 'scenario finished'),
      (err: unknown) => logger.error({ err }, 'scenario failed'),
    );
  }
  if (process.stdin.isTTY) {
    attachKeyboard(sim, process.stdin, process.stdout, { onQuit: (err) => process.exit(err ? 1 : 0) });
    logger.info('fault keys: type h and Enter for help');
  }
}
