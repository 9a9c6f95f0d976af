import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Graphviz } from '@hpcc-js/wasm-graphviz';
import type { AnyStateMachine } from 'xstate';
import { MACHINES } from './charts.js';
import { toDot } from './dot.js';
import { toMermaid } from './mermaid.js';
import { readChart } from './model.js';

const README = 'README.md';

/** One generated file: its name in the output folder and its whole content. */
export interface VizFile {
  name: string;
  content: string;
}

/** Graphviz's SVG of a DOT text (the wasm build: offline, same output on every machine). */
export async function renderSvg(dot: string): Promise<string> {
  const graphviz = await Graphviz.load();
  return graphviz.dot(dot, 'svg');
}

/** `{name}.mmd` and `{name}.svg` for each machine, in a fixed order. */
export async function vizFiles(
  machines: readonly { name: string; machine: AnyStateMachine }[] = MACHINES,
): Promise<VizFile[]> {
  const files: VizFile[] = [];
  for (const { name, machine } of machines) {
    const chart = readChart(machine);
    files.push({ name: `${name}.mmd`, content: toMermaid(chart) });
    files.push({ name: `${name}.svg`, content: await renderSvg(toDot(chart)) });
  }
  return files;
}

/**
 * The README of the diagrams with each machine's Mermaid text put between its markers
 * (`<!-- viz:connector -->` … `<!-- /viz:connector -->`), so that the Markdown GitHub renders never
 * drifts from the `.mmd` files. Text outside the markers is left as it is.
 */
export function embedMermaid(readme: string, files: readonly VizFile[]): string {
  let out = readme;
  for (const file of files) {
    if (!file.name.endsWith('.mmd')) continue;
    const name = file.name.slice(0, -'.mmd'.length);
    const start = `<!-- viz:${name} -->`;
    const end = `<!-- /viz:${name} -->`;
    const from = out.indexOf(start);
    const to = out.indexOf(end, from);
    if (from < 0 || to < 0) continue;
    out = `${out.slice(0, from + start.length)}\n\`\`\`mermaid\n${file.content}\`\`\`\n${out.slice(to)}`;
  }
  return out;
}

/** The folder's README.md with the current Mermaid embedded, when it has one. */
export async function readmeFile(dir: string, files: readonly VizFile[]): Promise<VizFile | null> {
  const readme = await readFile(join(dir, README), 'utf8').catch(() => null);
  return readme === null ? null : { name: README, content: embedMermaid(readme, files) };
}

/** Writes the files into `dir` (created if missing); returns their paths. */
export async function writeVizFiles(dir: string, files: readonly VizFile[]): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const paths: string[] = [];
  for (const file of files) {
    const path = join(dir, file.name);
    await writeFile(path, file.content);
    paths.push(path);
  }
  return paths;
}

/** The paths in `dir` that are missing or differ from `files`. */
export async function staleVizFiles(dir: string, files: readonly VizFile[]): Promise<string[]> {
  const stale: string[] = [];
  for (const file of files) {
    const path = join(dir, file.name);
    const current = await readFile(path, 'utf8').catch(() => null);
    if (current !== file.content) stale.push(path);
  }
  return stale;
}
