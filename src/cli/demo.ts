import { startSimulator } from '../../simulator/index.js';
import { createLogger, createServer, loadConfig } from '../runtime/index.js';
import { parseFlags } from './args.js';
import { onShutdownSignal } from './lifecycle.js';

export const DEMO_USAGE = `Usage: dataserver demo [--config FILE] [--pretty]

The demo (what \`npm start\` runs): the bundled simulator on 127.0.0.1:5000 and the server with its
embedded broker (MQTT 1883, WebSocket 8083/mqtt), in one process. Ctrl-C stops both.`;

export async function runDemo(argv: string[]): Promise<void> {
  const { values } = parseFlags(argv, { config: { type: 'string' }, pretty: { type: 'boolean' } });
  if (values.help) return void console.log(DEMO_USAGE);
  const config = loadConfig({ file: values.config });
  const logger = createLogger({ level: config.log.level, pretty: values.pretty });
  const sim = await startSimulator({ port: 5000, logger: logger.child({ component: 'simulator' }) });
  const server = await createServer(config, logger);
  logger.info(
    {
      mqtt: `mqtt://127.0.0.1:${server.broker.port}`,
      ws: `ws://127.0.0.1:${server.broker.wsPort}/mqtt`,
      http: `http://127.0.0.1:${server.httpPort}/`,
      faults: `http://127.0.0.1:${sim.port}/control/fault`,
    },
    'demo running: try `mosquitto_sub -h 127.0.0.1 -t "trades/#" -v` or `npx dataserver sub`',
  );
  onShutdownSignal(async () => {
    await server.stop();
    await sim.close();
  }, logger);
}
