import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from 'xstate';

/**
 * A statechart as the diagram generators need it, read from the machine's own definition
 * (`machine.root` and its state nodes): states in document order, transitions with their
 * trigger (event, `after` delay, `always`, invoke result), guard and actions, by name.
 * Everything is plain data in a fixed order, so the generated files are reproducible.
 */

export type StateType = 'atomic' | 'compound' | 'parallel' | 'final' | 'history';

export interface ChartState {
  /** The state's key path from the root joined with `.` (`session.subscribed`); `''` for the root. */
  path: string;
  key: string;
  type: StateType;
  description: string | null;
  /** Paths of the initial child states (compound states only). */
  initial: string[];
  children: ChartState[];
  /** The invoked actors' names (`transport`). */
  invokes: string[];
}

export interface ChartTransition {
  /** Path of the state that declares the transition (`''`: the machine root, i.e. any state). */
  source: string;
  /** Target paths; empty for a targetless transition (actions only, the state is not left). */
  targets: string[];
  /** `TRANSPORT.CLOSED`, `after backoff`, `always`, `onError transport`, `onDone`, ... */
  trigger: string;
  guard: string | null;
  actions: string[];
}

export interface Chart {
  id: string;
  description: string | null;
  root: ChartState;
  /** Every transition in document order (states in order, then each state's own order). */
  transitions: ChartTransition[];
}

const XSTATE_PREFIX = 'xstate.';

/** `a.b.c` from a node's path; the root is `''`. */
const pathOf = (node: AnyStateNode): string => node.path.join('.');

/** Something with a `type` string (an action or guard object, or a built-in's function). */
function typeOf(value: unknown): string | undefined {
  if ((typeof value === 'object' || typeof value === 'function') && value !== null && 'type' in value) {
    const type = (value as { type: unknown }).type;
    if (typeof type === 'string') return type;
  }
  return undefined;
}

/** A function's own name, unless it is only the config key it was written under. */
function functionName(fn: { name: string }, configKey: string): string {
  return fn.name && fn.name !== configKey ? fn.name : 'inline';
}

/** `isReady`, `and(a, b)`, `not(a)`, `stateIn("x")`, or `inline` for an anonymous function. */
export function guardName(guard: unknown): string | null {
  if (guard === undefined || guard === null) return null;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') {
    const nested = (guard as { guards?: unknown }).guards;
    if (Array.isArray(nested)) return `${guard.name}(${nested.map((g) => guardName(g) ?? '').join(', ')})`;
    const stateValue = (guard as { stateValue?: unknown }).stateValue;
    if (stateValue !== undefined) return `stateIn(${JSON.stringify(stateValue)})`;
    return functionName(guard, 'guard');
  }
  return typeOf(guard) ?? 'inline';
}

/** `setDemand`, `assign` for a built-in action creator, `inline` for an anonymous function. */
export function actionName(action: unknown): string {
  if (typeof action === 'string') return action;
  const type = typeOf(action);
  if (type !== undefined) return type.startsWith(XSTATE_PREFIX) ? type.slice(XSTATE_PREFIX.length) : type;
  if (typeof action === 'function') return functionName(action, 'actions');
  return 'inline';
}

/** What fires the transition, as a reader of the chart calls it. */
function triggerOf(
  node: AnyStateNode,
  t: AnyTransitionDefinition,
  delays: ReadonlyMap<string, unknown>,
): string {
  const event = t.eventType;
  if (delays.has(event)) {
    const delay = delays.get(event);
    if (typeof delay === 'number') return `after ${delay}ms`;
    return typeof delay === 'string' ? `after ${delay}` : 'after (inline delay)';
  }
  for (const invoke of node.invoke) {
    const name = typeof invoke.src === 'string' ? invoke.src : invoke.id;
    if (event === `xstate.error.actor.${invoke.id}`) return `onError ${name}`;
    if (event === `xstate.done.actor.${invoke.id}`) return `onDone ${name}`;
    if (event === `xstate.snapshot.${invoke.id}`) return `onSnapshot ${name}`;
  }
  if (event === `xstate.done.state.${node.id}`) return 'onDone';
  return event;
}

function transitionOf(node: AnyStateNode, t: AnyTransitionDefinition, trigger: string): ChartTransition {
  return {
    source: pathOf(node),
    targets: (t.target ?? []).map(pathOf),
    trigger,
    guard: guardName(t.guard),
    actions: t.actions.map(actionName),
  };
}

function readState(node: AnyStateNode, transitions: ChartTransition[]): ChartState {
  const delays = new Map<string, unknown>(node.after.map((t) => [t.eventType, t.delay]));
  for (const list of node.transitions.values()) {
    for (const t of list) transitions.push(transitionOf(node, t, triggerOf(node, t, delays)));
  }
  for (const t of node.always ?? []) transitions.push(transitionOf(node, t, 'always'));
  const children: ChartState[] = [];
  for (const child of Object.values(node.states) as AnyStateNode[])
    children.push(readState(child, transitions));
  return {
    path: pathOf(node),
    key: node.key,
    type: node.type,
    description: node.description ?? null,
    initial: node.type === 'compound' ? node.initial.target.map(pathOf) : [],
    children,
    invokes: node.invoke.map((i) => (typeof i.src === 'string' ? i.src : i.id)),
  };
}

/** The chart of a machine, walked from its root in document order. */
export function readChart(machine: AnyStateMachine): Chart {
  const transitions: ChartTransition[] = [];
  const root = readState(machine.root, transitions);
  return { id: machine.id, description: root.description, root, transitions };
}

/** Every state below the root, in document order (parents before their children). */
export function allStates(chart: Chart): ChartState[] {
  const out: ChartState[] = [];
  const visit = (s: ChartState) => {
    for (const c of s.children) {
      out.push(c);
      visit(c);
    }
  };
  visit(chart.root);
  return out;
}

/** Every state path of the chart (the ids the SVG carries as `state:{path}`). */
export function statePaths(chart: Chart): string[] {
  return allStates(chart).map((s) => s.path);
}

/** `EVENT [guard]`: how a transition is labelled on an arrow. */
export function transitionLabel(t: ChartTransition): string {
  return t.guard === null ? t.trigger : `${t.trigger} [${t.guard}]`;
}

/** `EVENT [guard] / a, b`: how a targetless transition is listed inside its state (UML's internal transitions). */
export function internalLabel(t: ChartTransition): string {
  return t.actions.length === 0 ? transitionLabel(t) : `${transitionLabel(t)} / ${t.actions.join(', ')}`;
}

/**
 * The targetless transitions of a state, those with the same guard and actions merged into one line
 * (`UPSTREAM.SUBSCRIBED, UPSTREAM.REJECTED / applyControl`), in order of first appearance.
 */
export function internalLines(chart: Chart, path: string): string[] {
  const groups = new Map<string, { triggers: string[]; sample: ChartTransition }>();
  for (const t of chart.transitions) {
    if (t.source !== path || t.targets.length > 0) continue;
    const key = `${t.guard ?? ''}\u0000${t.actions.join(',')}`;
    const group = groups.get(key);
    if (group) group.triggers.push(t.trigger);
    else groups.set(key, { triggers: [t.trigger], sample: t });
  }
  return [...groups.values()].map(({ triggers, sample }) =>
    internalLabel({ ...sample, trigger: triggers.join(', ') }),
  );
}

/** One drawn arrow: the transitions from one state to one target under the same guard. */
export interface ChartArrow {
  source: string;
  target: string;
  /** In order of appearance: `TRANSPORT.CLOSED`, `UPSTREAM.GAP`, `onError transport`. */
  triggers: string[];
  guard: string | null;
}

/**
 * The arrows of the chart, in order of first appearance: transitions that only differ in their
 * event (and actions, which arrows do not show) share one arrow listing every event.
 */
export function chartArrows(chart: Chart): ChartArrow[] {
  const arrows = new Map<string, ChartArrow>();
  for (const t of chart.transitions) {
    for (const target of t.targets) {
      const key = `${t.source}\u0000${target}\u0000${t.guard ?? ''}`;
      const arrow = arrows.get(key);
      if (arrow) {
        if (!arrow.triggers.includes(t.trigger)) arrow.triggers.push(t.trigger);
      } else arrows.set(key, { source: t.source, target, triggers: [t.trigger], guard: t.guard });
    }
  }
  return [...arrows.values()];
}

/** `A, B [guard]`: an arrow's label on one line. */
export function arrowLabel(arrow: ChartArrow, separator = ', '): string {
  const triggers = arrow.triggers.join(separator);
  return arrow.guard === null
    ? triggers
    : `${triggers}${separator === ', ' ? ' ' : separator}[${arrow.guard}]`;
}

/** True when `path` is `ancestor` itself or lies inside it (`''`, the root, contains everything). */
export function isWithin(path: string, ancestor: string): boolean {
  return ancestor === '' || path === ancestor || path.startsWith(`${ancestor}.`);
}
