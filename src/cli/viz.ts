import { readmeFile, staleVizFiles, vizFiles, writeVizFiles } from '../viz/index.js';
import { parseFlags } from './args.js';

export const VIZ_USAGE = `Usage: dataserver viz [--out DIR] [--check]

Draws every statechart in machines/ (connector, supervisor, subscriptions) from its definition:
DIR/{name}.mmd (Mermaid stateDiagram-v2, rendered by GitHub) and DIR/{name}.svg (Graphviz).
If DIR/README.md exists, the Mermaid between its <!-- viz:{name} --> markers is updated too.

  --out DIR   folder to write to (default: visualizations)
  --check     write nothing; exit 1 if a file is missing or differs from what the machines give
  -h, --help  this text`;

export interface VizFlags {
  out: string;
  check: boolean;
}

export function parseViz(argv: string[]): VizFlags | 'help' {
  const { values } = parseFlags(argv, { out: { type: 'string' }, check: { type: 'boolean' } });
  if (values.help) return 'help';
  return { out: values.out ?? 'visualizations', check: values.check ?? false };
}

export async function runViz(argv: string[]): Promise<void> {
  const flags = parseViz(argv);
  if (flags === 'help') return void console.log(VIZ_USAGE);
  const diagrams = await vizFiles();
  const readme = await readmeFile(flags.out, diagrams);
  const files = readme === null ? diagrams : [...diagrams, readme];
  if (flags.check) {
    const stale = await staleVizFiles(flags.out, files);
    if (stale.length === 0) return void console.log(`${files.length} files in ${flags.out} are up to date`);
    for (const path of stale) console.error(`dataserver viz: ${path} is missing or out of date`);
    console.error('dataserver viz: run `npx dataserver viz` (after `npm run build`) and commit the result');
    process.exitCode = 1;
    return;
  }
  for (const path of await writeVizFiles(flags.out, files)) console.log(`wrote ${path}`);
}
