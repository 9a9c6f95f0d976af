/** The `{path}` of every `id="state:{path}"` in an SVG, in document order. */
export function stateIds(svg: string): string[] {
  return [...svg.matchAll(/\bid="state:([^"]*)"/g)].map((m) => m[1] ?? '');
}

/**
 * A light well-formedness check for Graphviz output: one `<svg>` root that closes, and every `<g>`
 * closed (Graphviz writes no self-closing groups). Returns what is wrong, or null.
 */
export function svgProblem(svg: string): string | null {
  if (!/<svg[\s>]/.test(svg) || !svg.trimEnd().endsWith('</svg>')) return 'not a complete <svg> document';
  const open = svg.match(/<g[\s>]/g)?.length ?? 0;
  const close = svg.match(/<\/g>/g)?.length ?? 0;
  if (open !== close) return `${open} <g> but ${close} </g>`;
  return null;
}
