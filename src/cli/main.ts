#!/usr/bin/env node
import { DataServerError } from '../domain/index.js';
import { VERSION } from '../runtime/index.js';

const USAGE = `dataserver ${VERSION}: real-time market data from upstream feeds to any MQTT client

Usage: dataserver <command> [options]

Commands:
  serve          run the server (connectors + embedded MQTT broker)
  simulate       run the upstream exchange simulator
  demo           simulator + server in one process (what \`npm start\` runs)
  sub            print live trades and status from a running server
  hash-password  hash a password from stdin for mqtt.auth in the config
  viz            draw the statecharts of machines/ into visualizations/ (Mermaid + SVG)

Run \`dataserver <command> --help\` for a command's options.`;

// Loaded on demand: `serve` should not pay for the simulator's, the terminal UI's or the diagram
// renderer's modules at start-up (the time to /ready is a benchmarked goal).
const commands: Record<string, () => Promise<(argv: string[]) => Promise<void>>> = {
  serve: async () => (await import('./serve.js')).runServe,
  simulate: async () => (await import('./simulate.js')).runSimulate,
  demo: async () => (await import('./demo.js')).runDemo,
  sub: async () => (await import('./sub.js')).runSub,
  'hash-password': async () => (await import('./hash-password.js')).runHashPassword,
  viz: async () => (await import('./viz.js')).runViz,
};

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return;
  }
  if (command === '--version' || command === '-v') {
    console.log(VERSION);
    return;
  }
  const load = commands[command];
  if (!load)
    throw new DataServerError(
      'USAGE',
      `unknown command "${command}" (try: ${Object.keys(commands).join(', ')})`,
    );
  await (await load())(rest);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  // Usage and config errors are the user's to fix: one line, no stack, exit 2.
  if (err instanceof DataServerError && ['USAGE', 'CONFIG_INVALID', 'CONFIG_UNREADABLE'].includes(err.code)) {
    console.error(`dataserver: ${err.message}`);
    process.exit(2);
  }
  console.error('dataserver: failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
