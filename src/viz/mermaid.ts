import {
  allStates,
  arrowLabel,
  type Chart,
  type ChartState,
  chartArrows,
  internalLines,
  isWithin,
} from './model.js';

/**
 * A chart as a Mermaid `stateDiagram-v2` (GitHub renders it in Markdown).
 *
 * Layout of the text, chosen for how Mermaid reads it:
 * - every state is declared first, nested in its parent's `state "…" as id { … }` block, with
 *   `[*] -->` its initial child and `--> [*]` for a final state, and a parallel state's regions
 *   separated by `--`;
 * - every other transition comes after, at the top level: Mermaid puts a state named by a
 *   transition inside the block the transition is written in, so edges written inside a block
 *   would move states that live elsewhere;
 * - an atomic state shows its key as the title and its description below it, then its
 *   targetless transitions (`DEMAND / setDemand`), as UML draws internal transitions; a compound
 *   state has one title line, so its description and internal transitions follow the key there;
 * - transitions declared on the machine itself (valid in any state) start from an "any state"
 *   box; those a compound state declares towards its own children start from one inside it.
 */

/** Mermaid's lexer ends a label at `:`, `;` or a newline; `#…;` entity codes are decoded when rendering. */
const ENTITY: Record<string, string> = {
  '#': '#35;',
  ':': '#58;',
  ';': '#59;',
  '"': '#quot;',
  '<': '#lt;',
  '>': '#gt;',
  '%': '#37;',
  '{': '#123;',
  '}': '#125;',
};

export function mermaidText(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[#:;"<>%{}]/g, (c) => ENTITY[c] ?? c);
}

/** Words Mermaid's state-diagram lexer reads as keywords wherever an id could stand. */
const RESERVED = new Set([
  'state',
  'note',
  'class',
  'classdef',
  'default',
  'direction',
  'end',
  'hide',
  'scale',
  'as',
  'root',
  'acctitle',
  'accdescr',
]);

function sanitize(name: string): string {
  const id = name.replace(/[^A-Za-z0-9_]/g, '_');
  if (/^[0-9]/.test(id) || RESERVED.has(id.toLowerCase()) || id.toLowerCase().startsWith('default'))
    return `s_${id}`;
  return id;
}

/** A Mermaid id per state path: the key where it is unique in the chart, else the whole path. */
function mermaidIds(states: readonly ChartState[]): Map<string, string> {
  const keyCount = new Map<string, number>();
  for (const s of states) keyCount.set(sanitize(s.key), (keyCount.get(sanitize(s.key)) ?? 0) + 1);
  const ids = new Map<string, string>();
  const used = new Set<string>();
  for (const s of states) {
    const byKey = sanitize(s.key);
    let id = keyCount.get(byKey) === 1 ? byKey : sanitize(s.path.replaceAll('.', '__'));
    for (let n = 2; used.has(id); n++) id = `${byKey}_${n}`;
    used.add(id);
    ids.set(s.path, id);
  }
  return ids;
}

function freeId(wanted: string, used: ReadonlySet<string>): string {
  let id = wanted;
  for (let n = 2; used.has(id); n++) id = `${wanted}_${n}`;
  return id;
}

/** True when an arrow must start from an "any state" box inside (or for the root, beside) its source. */
function fromAnyState(source: string, target: string, byPath: ReadonlyMap<string, ChartState>): boolean {
  if (source === '') return true;
  const state = byPath.get(source);
  if (state === undefined || state.children.length === 0) return false;
  return isWithin(target, source);
}

export function toMermaid(chart: Chart): string {
  const states = allStates(chart);
  const byPath = new Map(states.map((s) => [s.path, s]));
  const ids = mermaidIds(states);
  const used = new Set(ids.values());
  const idOf = (path: string): string => ids.get(path) ?? path;

  // "any state" boxes, one per state whose transitions need one, named after it.
  // The machine's own targetless transitions are listed in its box too.
  const rootLines = internalLines(chart, '');
  const arrows = chartArrows(chart);
  const anySources = arrows.filter((a) => fromAnyState(a.source, a.target, byPath)).map((a) => a.source);
  if (rootLines.length > 0) anySources.unshift('');
  const anyIds = new Map<string, string>();
  for (const source of anySources) {
    if (anyIds.has(source)) continue;
    const id = freeId(source === '' ? 'any_state' : `${idOf(source)}_any`, used);
    used.add(id);
    anyIds.set(source, id);
  }

  const lines: string[] = ['stateDiagram-v2'];
  lines.push(`  %% ${chart.id}: generated from machines/ by \`npx dataserver viz\`, do not edit`);
  if (chart.description) lines.push(`  %% ${chart.description.replace(/\s+/g, ' ')}`);

  const declare = (parent: ChartState, indent: string): void => {
    for (const target of parent.initial) lines.push(`${indent}[*] --> ${idOf(target)}`);
    const anyId = anyIds.get(parent.path);
    if (anyId !== undefined) {
      lines.push(
        `${indent}state "${parent.path === '' ? 'any state' : `any state in ${parent.key}`}" as ${anyId}`,
      );
      if (parent.path === '')
        for (const line of rootLines) lines.push(`${indent}${anyId} : ${mermaidText(line)}`);
    }
    parent.children.forEach((s, i) => {
      if (parent.type === 'parallel' && i > 0) lines.push(`${indent}--`);
      const id = idOf(s.path);
      if (s.children.length > 0) {
        const title = [s.key, s.description, ...internalLines(chart, s.path)]
          .filter((part): part is string => Boolean(part))
          .map(mermaidText)
          .join(' — ');
        const kind = s.type === 'parallel' ? ' (parallel)' : '';
        lines.push(`${indent}state "${title}${kind}" as ${id} {`);
        declare(s, `${indent}  `);
        lines.push(`${indent}}`);
      } else {
        const title = s.type === 'history' ? `${s.key} (history)` : s.key;
        lines.push(`${indent}state "${mermaidText(title)}" as ${id}`);
        if (s.description) lines.push(`${indent}${id} : ${mermaidText(s.description)}`);
        for (const line of internalLines(chart, s.path)) lines.push(`${indent}${id} : ${mermaidText(line)}`);
      }
      if (s.type === 'final') lines.push(`${indent}${id} --> [*]`);
    });
  };
  declare(chart.root, '  ');

  for (const arrow of arrows) {
    const anyId = anyIds.get(arrow.source);
    const from =
      anyId !== undefined && fromAnyState(arrow.source, arrow.target, byPath) ? anyId : idOf(arrow.source);
    lines.push(`  ${from} --> ${idOf(arrow.target)} : ${mermaidText(arrowLabel(arrow))}`);
  }

  if (anyIds.size > 0) {
    lines.push('  classDef anyState fill:none,stroke-dasharray:4 4');
    lines.push(`  class ${[...anyIds.values()].join(',')} anyState`);
  }
  return `${lines.join('\n')}\n`;
}
