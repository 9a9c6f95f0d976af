import { describe, expect, it } from 'vitest';
import { createMachine } from 'xstate';
import {
  chartArrows,
  mermaidText,
  readChart,
  renderSvg,
  statePaths,
  toDot,
  toMermaid,
  wrap,
} from '../../src/viz/index.js';
import { sampleMachine } from './sample.js';
import { stateIds } from './svg.js';

const chart = readChart(sampleMachine);
const mermaid = toMermaid(chart);
const lines = mermaid.split('\n');

describe('the chart model', () => {
  it('lists every state path in document order', () => {
    expect(statePaths(chart)).toEqual([
      'idle',
      'busy',
      'busy.left',
      'busy.left.step',
      'busy.left.finished',
      'busy.right',
      'busy.right.step',
      'busy.right.finished',
      'end',
    ]);
  });

  it('names triggers the way the chart reads: events, delays, always, invoke and done events', () => {
    const triggers = chart.transitions.map((t) => `${t.source || '(machine)'}: ${t.trigger}`);
    expect(triggers).toEqual([
      '(machine): STOP',
      '(machine): TICK',
      'idle: GO',
      'idle: TICK',
      'busy: onDone',
      'busy: onError worker',
      'busy.left.step: after 500ms',
      'busy.left.step: after patience',
      'busy.right: NEXT',
      'busy.right.step: always',
    ]);
  });

  it('keeps guards by name, composed guards included, and actions of targetless transitions', () => {
    const go = chart.transitions.find((t) => t.trigger === 'GO');
    expect(go).toMatchObject({ guard: 'canGo', targets: ['busy'] });
    expect(chart.transitions.find((t) => t.trigger === 'always')?.guard).toBe('not(isBroken)');
    expect(chart.transitions.find((t) => t.source === 'idle' && t.trigger === 'TICK')).toMatchObject({
      targets: [],
      actions: ['count'],
    });
  });

  it('draws transitions that differ only in their event as one arrow', () => {
    expect(chartArrows(chart).find((a) => a.source === 'busy.left.step')).toEqual({
      source: 'busy.left.step',
      target: 'busy.left.finished',
      triggers: ['after 500ms', 'after patience'],
      guard: null,
    });
  });
});

describe('Mermaid', () => {
  it('is a stateDiagram-v2 with initial and final markers', () => {
    expect(lines[0]).toBe('stateDiagram-v2');
    expect(lines).toContain('  [*] --> idle');
    expect(lines).toContain('      [*] --> busy__left__step');
    expect(lines).toContain('  s_end --> [*]');
    expect(lines).toContain('      busy__left__finished --> [*]');
  });

  it('shows descriptions with the characters Mermaid would read as syntax escaped', () => {
    expect(lines).toContain(
      '  idle : Waiting#59; nothing runs#58; #quot;yet#quot; #35;1 #lt;now#gt; 100#37;.',
    );
    expect(lines).toContain('      busy__right__finished : Right is done.');
    expect(mermaidText('a:b;c\n d')).toBe('a#58;b#59;c d');
  });

  it('nests compound states and separates the regions of a parallel state', () => {
    const start = lines.indexOf('  state "busy — Two things at once. (parallel)" as busy {');
    expect(start).toBeGreaterThan(0);
    const left = lines.indexOf('    state "left" as left {');
    const divider = lines.indexOf('    --');
    const right = lines.indexOf('    state "right" as right {');
    expect(start < left && left < divider && divider < right).toBe(true);
  });

  it('labels arrows with events, guards, delays and always', () => {
    expect(lines).toContain('  idle --> busy : GO [canGo]');
    expect(lines).toContain('  busy --> idle : onDone, onError worker');
    expect(lines).toContain('  busy__left__step --> busy__left__finished : after 500ms, after patience');
    expect(lines).toContain('  busy__right__step --> busy__right__finished : always [not(isBroken)]');
  });

  it('lists targetless transitions inside their state and starts machine-wide ones from "any state"', () => {
    expect(lines).toContain('  idle : TICK / count');
    expect(lines).toContain('  any_state : TICK / note');
    expect(lines).toContain('  any_state --> s_end : STOP');
    expect(lines).toContain('  right_any --> busy__right__finished : NEXT');
  });

  it('writes every transition after every state, at the top level', () => {
    const lastState = Math.max(...lines.map((l, i) => (/^\s*state /.test(l) ? i : -1)));
    const firstArrow = lines.findIndex((l) => / --> /.test(l) && !l.includes('[*]'));
    expect(firstArrow).toBeGreaterThan(lastState);
    for (const l of lines.slice(firstArrow)) expect(l.startsWith('    ')).toBe(false);
  });

  it('is the same text every time', () => {
    expect(toMermaid(readChart(sampleMachine))).toBe(mermaid);
  });
});

describe('Graphviz', () => {
  it('wraps long descriptions at word boundaries', () => {
    expect(wrap('one two three four', 9)).toEqual(['one two', 'three', 'four']);
    expect(wrap('unbreakable-word x', 4)).toEqual(['unbreakable-word', 'x']);
  });

  it('gives every state, and nothing else, an id="state:{path}" in the SVG', async () => {
    const svg = await renderSvg(toDot(chart));
    expect(stateIds(svg).sort()).toEqual(statePaths(chart).sort());
  });

  it('makes compound and parallel states clusters and the others nodes', async () => {
    const svg = await renderSvg(toDot(chart));
    for (const path of ['busy', 'busy.left', 'busy.right'])
      expect(svg).toContain(`<g id="state:${path}" class="cluster state">`);
    for (const path of ['idle', 'busy.left.step', 'end'])
      expect(svg).toContain(`<g id="state:${path}" class="node state">`);
  });

  it('draws final states with a double border and labels arrows with event and guard', async () => {
    const svg = await renderSvg(toDot(chart));
    const end = svg.slice(
      svg.indexOf('<g id="state:end"'),
      svg.indexOf('</g>', svg.indexOf('<g id="state:end"')),
    );
    expect(end.match(/<path /g)?.length ?? end.match(/<polygon /g)?.length).toBe(2);
    expect(svg).toMatch(/>GO<\/text>[\s\S]*?>\[canGo\]<\/text>/);
    expect(svg).toContain('>after patience</text>');
  });

  it('renders a machine without nested states or transitions', async () => {
    const tiny = readChart(createMachine({ id: 'tiny', initial: 'only', states: { only: {} } }));
    expect(toMermaid(tiny)).toContain('[*] --> only');
    expect(stateIds(await renderSvg(toDot(tiny)))).toEqual(['only']);
  });
});
