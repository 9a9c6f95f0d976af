import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MACHINES, readChart, statePaths, toMermaid } from '../../src/viz/index.js';
import { stateIds, svgProblem } from './svg.js';

// The committed diagrams must be what the machines give today: a chart changed without
// rerunning `npx dataserver viz` fails here.
const DIR = fileURLToPath(new URL('../../visualizations/', import.meta.url));
const committed = (file: string): string => readFileSync(`${DIR}${file}`, 'utf8');

describe.each(MACHINES.map((m) => [m.name, m.machine] as const))('visualizations of %s', (name, machine) => {
  const chart = readChart(machine);

  it(`${name}.mmd matches the machine`, () => {
    expect(
      committed(`${name}.mmd`),
      `visualizations/${name}.mmd is stale: run \`npm run build && npx dataserver viz\` and commit it`,
    ).toBe(toMermaid(chart));
  });

  it(`${name}.svg is well-formed and has an id="state:{path}" for every state, and for nothing else`, () => {
    const svg = committed(`${name}.svg`);
    expect(svgProblem(svg)).toBeNull();
    expect(
      stateIds(svg).sort(),
      `visualizations/${name}.svg does not match the states of the machine: run \`npx dataserver viz\``,
    ).toEqual(statePaths(chart).sort());
  });

  it(`visualizations/README.md embeds ${name}`, () => {
    const readme = committed('README.md');
    expect(readme).toContain(`](${name}.svg)`);
    expect(readme, 'the README embeds the current Mermaid text').toContain(
      `\`\`\`mermaid\n${toMermaid(chart)}\`\`\``,
    );
  });
});
