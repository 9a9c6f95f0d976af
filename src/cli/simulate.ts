import { startSimulator } from '../../simulator/index.js';
import { createLogger } from '../runtime/index.js';
import { intFlag, numberFlag, parseFlags } from './args.js';
import { onShutdownSignal } from './lifecycle.js';

export const SIMULATE_USAGE = `Usage: dataserver simulate [--port 5000] [--host 127.0.0.1] [--rate N] [--seed S] [--symbols A,B]

Runs the upstream exchange simulator (Blockchain.com Exchange WebSocket dialect) at ws://HOST:PORT/ws.

  --port N        port to listen on (default 5000; 0 picks a free one)
  --host H        address to listen on (default 127.0.0.1)
  --rate N        trades per second per subscribed symbol (default 5)
  --seed S        random seed: the same seed gives the same prices (default 1)
  --symbols LIST  comma-separated symbols offered (default BTC-USD,ETH-USD)
  --pretty        human-readable logs (default when stdout is a terminal)
  -h, --help      this text`;

export interface SimulateFlags {
  port: number;
  host: string;
  rate: number;
  seed: number;
  symbols: string[];
  pretty: boolean | undefined;
}

export function parseSimulate(argv: string[]): SimulateFlags | 'help' {
  const { values } = parseFlags(argv, {
    port: { type: 'string' },
    host: { type: 'string' },
    rate: { type: 'string' },
    seed: { type: 'string' },
    symbols: { type: 'string' },
    pretty: { type: 'boolean' },
  });
  if (values.help) return 'help';
  return {
    port: intFlag('port', values.port, 5000, 0, 65535),
    host: values.host ?? '127.0.0.1',
    rate: numberFlag('rate', values.rate, 5),
    seed: intFlag('seed', values.seed, 1, 0, 2 ** 32 - 1),
    symbols: values.symbols ? values.symbols.split(',').filter(Boolean) : ['BTC-USD', 'ETH-USD'],
    pretty: values.pretty,
  };
}

export async function runSimulate(argv: string[]): Promise<void> {
  const flags = parseSimulate(argv);
  if (flags === 'help') return void console.log(SIMULATE_USAGE);
  const logger = createLogger({ level: 'info', pretty: flags.pretty }).child({ component: 'simulator' });
  const sim = await startSimulator({ ...flags, logger });
  logger.info({ url: sim.url, rate: flags.rate, symbols: flags.symbols }, 'simulator ready');
  onShutdownSignal(() => sim.close(), logger);
}
