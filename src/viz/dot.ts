import {
  allStates,
  arrowLabel,
  type Chart,
  type ChartArrow,
  type ChartState,
  chartArrows,
  internalLines,
  isWithin,
} from './model.js';

/**
 * A chart as Graphviz DOT, laid out top-down. The contract with the dashboard (interface A): every
 * state carries `id="state:{path}"` — atomic, final and history states are nodes, compound and
 * parallel states are clusters — and nothing else has an id starting with `state:` (Graphviz names
 * the rest `node1`, `edge1`, `clust1`, ...).
 *
 * Nodes show the key in bold, the description, and the targetless transitions in grey; final states
 * have a double border; a black dot points at each initial state; arrows carry `EVENT [guard]`,
 * `after delay` or `always`. An arrow from or to a compound state starts or ends at its border
 * (`ltail`/`lhead` from a point inside it). Transitions declared on the machine itself start from an
 * "any state" box.
 */

const FONT = 'Helvetica';
const WRAP = 40;
const COLORS = {
  line: '#4b5563',
  text: '#111827',
  muted: '#6b7280',
  cluster: '#9ca3af',
  fill: '#f9fafb',
  after: '#1d4ed8',
  error: '#b91c1c',
};

/** A DOT double-quoted string. */
function quote(text: string): string {
  return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replace(/\n/g, '\\n')}"`;
}

/** Text inside a DOT HTML-like label. */
function html(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}

/** Greedy word wrap at `width` characters (a longer word keeps its own line). */
export function wrap(text: string, width = WRAP): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** `<b>key</b>`, the description, then the internal transitions, as an HTML-like label. */
function stateLabel(title: string, description: string | null, internal: readonly string[]): string {
  const parts = [`<b>${html(title)}</b>`];
  if (description) {
    const text = wrap(description).map(html).join('<br/>');
    parts.push(`<font point-size="9" color="${COLORS.text}">${text}</font>`);
  }
  for (const line of internal) {
    const text = wrap(line, WRAP + 6)
      .map(html)
      .join('<br/>');
    parts.push(`<font point-size="8" color="${COLORS.muted}">${text}</font>`);
  }
  return `<${parts.join('<br/>')}>`;
}

const nodeName = (path: string) => quote(path);
/** Helper nodes, named so that no state path can clash with them. */
const initName = (path: string) => quote(path === '' ? '(initial)' : `(initial) ${path}`);
const anyName = (path: string) => quote(path === '' ? '(any state)' : `(any state) ${path}`);
const clusterName = (path: string) => quote(`cluster_${path}`);

const isCluster = (s: ChartState) => s.type === 'compound' || s.type === 'parallel';

export function toDot(chart: Chart): string {
  const byPath = new Map<string, ChartState>([
    ['', chart.root],
    ...allStates(chart).map((s) => [s.path, s] as const),
  ]);
  const out: string[] = [];
  const emit = (indent: string, line: string) => out.push(`${indent}${line}`);

  /** The node inside a state that arrows to or from it attach to. */
  const anchor = (s: ChartState): string => {
    if (s.type === 'compound') return initName(s.path);
    if (s.type === 'parallel' && s.children[0]) return anchor(s.children[0]);
    return nodeName(s.path);
  };
  /** Sources whose transitions point into themselves need an "any state" box inside them. */
  const arrows = chartArrows(chart);
  const needsAny = new Set<string>();
  for (const a of arrows) {
    const source = byPath.get(a.source);
    if (source && isCluster(source) && isWithin(a.target, a.source)) needsAny.add(a.source);
  }
  if (internalLines(chart, '').length > 0) needsAny.add('');

  emit('', `digraph ${quote(chart.id)} {`);
  const title = stateLabel(chart.id, chart.description, []);
  emit(
    '  ',
    `graph [rankdir=TB, compound=true, newrank=true, nodesep=0.35, ranksep=0.45, fontname=${quote(FONT)}, fontsize=12, labelloc=t, label=${title}];`,
  );
  emit(
    '  ',
    `node [shape=box, style="rounded,filled", fillcolor="#ffffff", color=${quote(COLORS.line)}, fontname=${quote(FONT)}, fontsize=11, margin="0.28,0.08"];`,
  );
  emit('  ', `edge [color=${quote(COLORS.line)}, fontname=${quote(FONT)}, fontsize=9, arrowsize=0.7];`);

  const declare = (parent: ChartState, indent: string): void => {
    if (parent.type === 'compound') {
      emit(
        indent,
        `${initName(parent.path)} [shape=circle, style=filled, fillcolor=${quote(COLORS.text)}, color=${quote(COLORS.text)}, width=0.14, fixedsize=true, label=""];`,
      );
    }
    if (needsAny.has(parent.path)) {
      const label = stateLabel(
        parent.path === '' ? 'any state' : `any state in ${parent.key}`,
        null,
        parent.path === '' ? internalLines(chart, '') : [],
      );
      emit(
        indent,
        `${anyName(parent.path)} [style="rounded,dashed", color=${quote(COLORS.muted)}, label=${label}];`,
      );
    }
    for (const s of parent.children) {
      if (isCluster(s)) {
        emit(indent, `subgraph ${clusterName(s.path)} {`);
        const inner = `${indent}  `;
        const kind = s.type === 'parallel' ? `${s.key} (parallel)` : s.key;
        emit(inner, `id=${quote(`state:${s.path}`)}; class="state";`);
        emit(
          inner,
          `style="rounded,filled${s.type === 'parallel' ? ',dashed' : ''}"; color=${quote(COLORS.cluster)}; fillcolor=${quote(COLORS.fill)}; labeljust=l; margin=12;`,
        );
        emit(inner, `label=${stateLabel(kind, s.description, internalLines(chart, s.path))};`);
        declare(s, inner);
        emit(indent, '}');
        continue;
      }
      const attrs = [`id=${quote(`state:${s.path}`)}`, 'class="state"'];
      if (s.type === 'history') {
        attrs.push('shape=circle', `label=${quote('H')}`, `xlabel=${quote(s.key)}`);
      } else {
        attrs.push(`label=${stateLabel(s.key, s.description, internalLines(chart, s.path))}`);
      }
      if (s.type === 'final') attrs.push('peripheries=2');
      emit(indent, `${nodeName(s.path)} [${attrs.join(', ')}];`);
    }
    for (const target of parent.initial) {
      const t = byPath.get(target);
      if (!t) continue;
      const lhead = isCluster(t) ? `, lhead=${clusterName(t.path)}` : '';
      emit(indent, `${initName(parent.path)} -> ${anchor(t)} [arrowsize=0.6${lhead}];`);
    }
  };
  declare(chart.root, '  ');

  for (const arrow of arrows) emit('  ', edge(arrow));
  emit('', '}');
  return `${out.join('\n')}\n`;

  function edge(arrow: ChartArrow): string {
    const source = byPath.get(arrow.source);
    const target = byPath.get(arrow.target);
    if (!source || !target)
      throw new Error(`chart ${chart.id}: unknown state in ${arrow.source} -> ${arrow.target}`);
    const attrs = [`label=${quote(arrowLabel(arrow, '\n'))}`];
    let tail: string;
    if (isCluster(source) && isWithin(arrow.target, arrow.source)) tail = anyName(arrow.source);
    else if (isCluster(source)) {
      tail = anchor(source);
      attrs.push(`ltail=${clusterName(source.path)}`);
    } else tail = nodeName(source.path);
    let head: string;
    if (!isCluster(target)) head = nodeName(target.path);
    else if (isWithin(arrow.source, arrow.target)) {
      // Re-entering an enclosing state: the arrow goes to where it starts again, its initial dot.
      head = target.type === 'compound' ? initName(target.path) : anchor(target);
    } else {
      head = anchor(target);
      attrs.push(`lhead=${clusterName(target.path)}`);
    }
    const only = (test: (trigger: string) => boolean) => arrow.triggers.every(test);
    if (only((t) => t.startsWith('after ')))
      attrs.push(`color=${quote(COLORS.after)}`, `fontcolor=${quote(COLORS.after)}`);
    else if (only((t) => t.startsWith('onError ') || t.startsWith('xstate.error.')))
      attrs.push(`color=${quote(COLORS.error)}`, `fontcolor=${quote(COLORS.error)}`);
    else if (only((t) => t === 'always')) attrs.push('style=dashed');
    return `${tail} -> ${head} [${attrs.join(', ')}];`;
  }
}
