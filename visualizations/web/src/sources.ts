import { h, setAttr, setText } from './dom.js';
import { clockTime, countdown } from './format.js';
import type { MachineSnapshot, SourceStatus } from './link.js';

/** A source as `GET /api/sources` lists it (the parts the page reads). */
export interface SourceInfo {
  id: string;
  kind: string;
  symbols: string[];
  status?: SourceStatus | null;
}

type Badge = 'connected' | 'connecting' | 'reconnecting' | 'lost' | 'disconnected';

const LABELS: Record<Badge, string> = {
  connected: 'Connected',
  connecting: 'Connecting',
  reconnecting: 'Reconnecting',
  lost: 'Server lost connection',
  disconnected: 'Disconnected',
};

/**
 * The badge of the original Blockchain.com demo, from what the page knows: its own MQTT link,
 * DataServer's `dataserver/status`, and the source's retained status. "Server lost connection"
 * is DataServer's upstream gone (backoff); "Disconnected" is anything the page cannot see through.
 */
function badgeFor(linkUp: boolean, serverState: string | undefined, status: SourceStatus | null): Badge {
  if (!linkUp || serverState === 'offline' || !status) return 'disconnected';
  switch (status.state) {
    case 'subscribed':
      return 'connected';
    case 'backoff':
      return 'lost';
    case 'resubscribing':
      return 'reconnecting';
    case 'connecting':
    case 'subscribing':
      return status.attempt > 0 ? 'reconnecting' : 'connecting';
    default:
      return 'disconnected';
  }
}

const TRANSITIONS_SHOWN = 8;

/** One source: badge, attempts and retry countdown, per-symbol upstream state, live statechart. */
export class SourcePanel {
  readonly el: HTMLElement;
  private readonly badge: HTMLElement;
  private readonly attempt: HTMLElement;
  private readonly retry: HTMLElement;
  private readonly error: HTMLElement;
  private readonly symbols: HTMLElement;
  private readonly chart: HTMLElement;
  private readonly transitions: HTMLOListElement;
  private status: SourceStatus | null;
  private lastLeaf = '';

  constructor(
    readonly info: SourceInfo,
    diagram: SVGElement | null,
  ) {
    this.status = info.status ?? null;
    this.badge = h('span', { class: 'badge', 'data-source': info.id });
    this.attempt = h('span', { class: 'attempt' });
    this.retry = h('span', { class: 'retry' });
    this.error = h('span', { class: 'error' });
    this.symbols = h('div', { class: 'upstream-symbols' });
    this.chart = h('div', { class: 'statechart', 'data-source': info.id, 'data-state': '' });
    this.transitions = h('ol', { class: 'transitions' });
    if (diagram) this.chart.append(diagram);
    else
      this.chart.append(
        h('p', { class: 'note' }, 'No diagram: generate it with ', h('code', {}, 'npx dataserver viz'), '.'),
      );
    this.el = h(
      'section',
      { class: 'source', 'data-source': info.id },
      h('header', {}, h('h2', {}, info.id), h('span', { class: 'kind' }, info.kind), this.badge),
      h(
        'p',
        { class: 'facts' },
        'Attempt ',
        this.attempt,
        h('span', { class: 'sep' }, ' · '),
        'next retry ',
        this.retry,
        h('span', { class: 'sep' }, ' · '),
        this.error,
      ),
      this.symbols,
      this.chart,
      h('h3', {}, 'Recent transitions'),
      this.transitions,
    );
  }

  get current(): SourceStatus | null {
    return this.status;
  }

  setStatus(status: SourceStatus | null): void {
    this.status = status;
  }

  setMachine(snapshot: MachineSnapshot | null): void {
    const states = snapshot?.states ?? [];
    for (const el of this.chart.querySelectorAll('.current')) el.classList.remove('current');
    for (const path of states) {
      // Scoped to this source's copy of the diagram: every source inlines the same SVG.
      for (const el of this.chart.querySelectorAll(`[id="state:${CSS.escape(path)}"]`))
        el.classList.add('current');
    }
    const leaf = states[states.length - 1] ?? '';
    setAttr(this.chart, 'data-state', leaf);
    if (leaf !== '' && leaf !== this.lastLeaf) {
      this.lastLeaf = leaf;
      const at = snapshot?.at ?? new Date().toISOString();
      this.transitions.prepend(h('li', { 'data-state': leaf }, h('time', {}, clockTime(at)), ' ', leaf));
      while (this.transitions.children.length > TRANSITIONS_SHOWN)
        this.transitions.lastElementChild?.remove();
    }
  }

  /** Redraws the badge and figures; called on every change and by the countdown timer. */
  render(linkUp: boolean, serverState: string | undefined): void {
    const s = this.status;
    const badge = badgeFor(linkUp, serverState, s);
    setAttr(this.badge, 'data-badge', badge);
    setAttr(this.badge, 'data-state', s?.state ?? 'unknown');
    setText(this.badge, LABELS[badge]);
    setText(this.attempt, String(s?.attempt ?? 0));
    setText(this.retry, s?.nextRetryAt ? countdown(s.nextRetryAt) : '—');
    setText(this.error, s?.lastError ? `last error: ${s.lastError}` : 'no error');
    const wanted = Object.entries(s?.symbols ?? {});
    if (this.symbols.children.length !== wanted.length) this.symbols.replaceChildren();
    wanted.forEach(([symbol, state], i) => {
      let chip = this.symbols.children[i] as HTMLElement | undefined;
      if (!chip) {
        chip = h('span', { class: 'chip' });
        this.symbols.append(chip);
      }
      setAttr(chip, 'data-symbol', symbol);
      setAttr(chip, 'data-state', state);
      setText(chip, `${symbol} ${state}`);
    });
  }
}
