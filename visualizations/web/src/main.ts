import { SymbolCard } from './cards.js';
import { h, setAttr, setText } from './dom.js';
import { Link, type MachineSnapshot, type SourceStatus } from './link.js';
import { type SourceInfo, SourcePanel } from './sources.js';

/** `GET /api/info`, the part the page reads. */
interface Info {
  version: string;
  ports: { mqtt: number; mqttWs: number; http: number };
}

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** The connector's statechart (interface A), parsed once and cloned into every source's panel. */
async function loadDiagram(): Promise<SVGElement | null> {
  const res = await fetch('/viz/connector.svg');
  if (!res.ok) return null;
  const doc = new DOMParser().parseFromString(await res.text(), 'image/svg+xml');
  const root = doc.documentElement;
  if (root.nodeName !== 'svg' || doc.querySelector('parsererror')) return null;
  return root as unknown as SVGElement;
}

const byId = (id: string): HTMLElement => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el;
};

/** Trades flow for a symbol while its source and the symbol itself are `subscribed` upstream. */
function flowing(panel: SourcePanel | undefined, symbol: string): boolean {
  const s = panel?.current;
  return s?.state === 'subscribed' && s.symbols[symbol] === 'subscribed';
}

class Dashboard {
  private readonly panels = new Map<string, SourcePanel>();
  private readonly cards = new Map<string, SymbolCard>();
  /** The latest retained payloads, also for a source whose panel is not built yet. */
  private readonly statuses = new Map<string, SourceStatus | null>();
  private readonly machines = new Map<string, MachineSnapshot | null>();
  private readonly link: Link;
  private linkUp = false;
  /** Why the broker refused the page, until the next connection (shown instead of "reconnecting"). */
  private refusal: string | undefined;
  private serverState: string | undefined;
  private readonly linkBadge = byId('link');
  private readonly serverBadge = byId('server');
  private readonly panelBox = byId('source-panels');
  private readonly picker = byId('picker');
  private readonly cardBox = byId('cards');

  constructor(
    info: Info,
    private readonly diagram: SVGElement | null,
  ) {
    setText(byId('version'), `v${info.version}`);
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    // location.hostname keeps an IPv6 address's brackets.
    const url = `${scheme}://${location.hostname}:${info.ports.mqttWs}/mqtt`;
    this.link = new Link(url, {
      connected: (again) => {
        this.linkUp = true;
        this.refusal = undefined;
        this.renderHeader();
        if (again) for (const card of this.cards.values()) void card.fill();
      },
      disconnected: () => {
        this.linkUp = false;
        for (const card of this.cards.values()) card.lostContact();
        this.renderHeader();
      },
      trade: (trade) => this.cards.get(`${trade.source}/${trade.symbol}`)?.receive(trade),
      status: (source, status) => {
        this.statuses.set(source, status);
        const panel = this.panels.get(source);
        if (!panel) {
          if (status) void this.refreshSources();
          return;
        }
        panel.setStatus(status);
        panel.render(this.linkUp, this.serverState);
        for (const card of this.cards.values()) {
          if (card.source === source) card.upstream(flowing(panel, card.symbol));
        }
      },
      machine: (actorId, snapshot) => {
        this.machines.set(actorId, snapshot);
        this.panels.get(actorId)?.setMachine(snapshot);
      },
      server: (state) => {
        this.serverState = state;
        this.renderHeader();
      },
      refused: (reason, signIn) => {
        this.refusal = reason.replace(/^Connection refused: /, '');
        this.renderHeader();
        if (signIn) this.askCredentials(reason);
      },
    });
    // The page's MQTT identity: rpc/{clientId}/… is its own, and a user may want to find it in logs.
    setAttr(this.linkBadge, 'data-client-id', this.link.clientId);
    this.linkBadge.title = `MQTT client id ${this.link.clientId}`;
    setInterval(() => this.renderPanels(), 250);
  }

  /** The server has `mqtt.auth`: the user signs in with an MQTT user name and password. */
  private askCredentials(reason: string): void {
    const form = byId('signin') as HTMLFormElement;
    setText(byId('signin-reason'), reason);
    form.hidden = false;
    form.onsubmit = (event) => {
      event.preventDefault();
      const data = new FormData(form);
      form.hidden = true;
      this.refusal = undefined;
      this.renderHeader();
      this.link.signIn({
        username: String(data.get('username') ?? ''),
        password: String(data.get('password') ?? ''),
      });
    };
    form.querySelector('input')?.focus();
  }

  private renderHeader(): void {
    const [state, text] = this.linkUp
      ? ['connected', 'MQTT connected']
      : this.refusal
        ? ['refused', `MQTT refused: ${this.refusal}`]
        : ['reconnecting', 'MQTT reconnecting…'];
    setAttr(this.linkBadge, 'data-state', state);
    setText(this.linkBadge, text);
    setAttr(this.serverBadge, 'data-state', this.serverState ?? 'unknown');
    setText(this.serverBadge, `server ${this.serverState ?? '…'}`);
    this.renderPanels();
  }

  private renderPanels(): void {
    for (const panel of this.panels.values()) panel.render(this.linkUp, this.serverState);
  }

  /** Adds a panel and the symbol buttons of every source not shown yet (sources come and go). */
  async refreshSources(): Promise<void> {
    const { sources } = await getJson<{ sources: SourceInfo[] }>('/api/sources');
    for (const info of sources) {
      if (this.panels.has(info.id)) continue;
      const diagram = this.diagram ? (document.importNode(this.diagram, true) as SVGElement) : null;
      const panel = new SourcePanel(info, diagram);
      panel.setStatus(this.statuses.get(info.id) ?? info.status ?? null);
      panel.setMachine(this.machines.get(info.id) ?? null);
      this.panels.set(info.id, panel);
      this.panelBox.append(panel.el);
      panel.render(this.linkUp, this.serverState);
      const buttons = info.symbols.map((symbol) => {
        const button = h(
          'button',
          { type: 'button', 'data-action': 'open', 'data-source': info.id, 'data-symbol': symbol },
          symbol,
        );
        button.addEventListener('click', () => this.open(info.id, symbol, button));
        return button;
      });
      this.picker.append(
        h('div', { class: 'pick', 'data-source': info.id }, h('span', {}, info.id), ...buttons),
      );
    }
  }

  private open(source: string, symbol: string, button: HTMLButtonElement): void {
    const key = `${source}/${symbol}`;
    if (this.cards.has(key)) return;
    button.disabled = true;
    const card = new SymbolCard(source, symbol, this.link, () => {
      this.cards.delete(key);
      button.disabled = false;
    });
    this.cards.set(key, card);
    this.cardBox.prepend(card.el);
    card.upstream(flowing(this.panels.get(source), symbol));
    void card.open();
  }
}

async function start(): Promise<void> {
  const [info, diagram] = await Promise.all([getJson<Info>('/api/info'), loadDiagram()]);
  const dashboard = new Dashboard(info, diagram);
  await dashboard.refreshSources();
}

start().catch((error: unknown) => {
  const box = document.getElementById('fatal');
  if (box) {
    box.hidden = false;
    box.textContent = `The dashboard could not start: ${error instanceof Error ? error.message : String(error)}`;
  }
});
