import uPlot from 'uplot';
import { type Trade, TradeBook } from './book.js';
import { h, setAttr, setText } from './dom.js';
import { clockTime, price, qty } from './format.js';
import { renderNextFrame } from './frame.js';
import type { Link } from './link.js';

/** Rows in the table; the chart and the dedup window keep more. */
const ROWS = 200;
const CHART_POINTS = 2000;
/** trades.recent's maximum, for history on open and for each gap fill. */
const FETCH = 1000;

type CardState = 'opening' | 'live' | 'paused';

/**
 * One symbol of one source: its MQTT subscription (and so its share of upstream demand), the
 * trades held (history, live, gap fills: each trade once), a table of the newest and a price chart.
 */
export class SymbolCard {
  readonly el: HTMLElement;
  readonly topic: string;
  private state: CardState = 'opening';
  private readonly book = new TradeBook(CHART_POINTS);
  private readonly rows = new Map<string, HTMLTableRowElement>();
  private readonly tbody = h('tbody');
  private readonly last = h('span', { class: 'last' });
  private readonly note = h('p', { class: 'note' });
  private readonly pauseButton = h('button', { type: 'button', 'data-action': 'pause' }, 'Pause');
  private readonly chartBox = h('div', { class: 'chart' });
  /**
   * Where the trades missed since contact was lost begin: the newest trade held when the gap
   * opened (pause, MQTT link lost, source lost upstream), `null` for everything (nothing held),
   * `undefined` when nothing is missing.
   */
  private gapFrom: Trade | null | undefined = null;
  private flowing: boolean | undefined;
  private plot: uPlot | null = null;
  private resize: ResizeObserver | null = null;
  private readonly render = () => this.draw();

  constructor(
    readonly source: string,
    readonly symbol: string,
    private readonly link: Link,
    private readonly onDismiss: (card: SymbolCard) => void,
  ) {
    this.topic = `trades/${source}/${symbol}`;
    const dismiss = h(
      'button',
      { type: 'button', 'data-action': 'dismiss', title: 'Unsubscribe and close' },
      '×',
    );
    this.pauseButton.addEventListener(
      'click',
      () => void (this.state === 'paused' ? this.resume() : this.pause()),
    );
    dismiss.addEventListener('click', () => void this.dismiss());
    this.el = h(
      'article',
      { class: 'card', 'data-source': source, 'data-symbol': symbol, 'data-state': this.state },
      h(
        'header',
        {},
        h('h2', {}, symbol),
        h('span', { class: 'src' }, source),
        this.last,
        h('span', { class: 'actions' }, this.pauseButton, dismiss),
      ),
      this.note,
      this.chartBox,
      h(
        'div',
        { class: 'table-box' },
        h(
          'table',
          { class: 'trades' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', {}, 'Time'),
              h('th', {}, 'Side'),
              h('th', { class: 'num' }, 'Price'),
              h('th', { class: 'num' }, 'Qty'),
              h('th', { class: 'num' }, 'Trade id'),
            ),
          ),
          this.tbody,
        ),
      ),
    );
  }

  /** Subscribes (the server now wants this symbol upstream), then backfills the recent history. */
  async open(): Promise<void> {
    this.createChart();
    await this.subscribe('Subscribing…');
  }

  async pause(): Promise<void> {
    if (this.state !== 'live') return;
    this.lostContact();
    this.setState('paused');
    setText(this.note, 'Paused: unsubscribed; the trades shown stay.');
    try {
      await this.link.release(this.topic);
    } catch (error) {
      setText(this.note, `Unsubscribe failed: ${String(error)}`);
    }
  }

  async resume(): Promise<void> {
    if (this.state !== 'paused') return;
    await this.subscribe('Resuming…');
  }

  async dismiss(): Promise<void> {
    const wasHeld = this.state !== 'paused';
    this.resize?.disconnect();
    this.plot?.destroy();
    this.el.remove();
    this.onDismiss(this);
    if (wasHeld) await this.link.release(this.topic).catch(() => undefined);
  }

  private async subscribe(message: string): Promise<void> {
    this.setState('opening');
    setText(this.note, message);
    try {
      await this.link.hold(this.topic);
    } catch (error) {
      setText(this.note, String(error));
      return;
    }
    this.setState('live');
    setText(this.note, '');
    await this.fill();
  }

  /** A live trade from `trades/{source}/{symbol}`. */
  receive(trade: Trade): void {
    if (this.state === 'paused') return;
    if (this.book.add(trade)) renderNextFrame(this.render);
  }

  /**
   * The symbol's upstream flow, from the source's status: trades flow while the source and the
   * symbol are `subscribed`. Stopping opens a gap; flowing again fills it.
   */
  upstream(flowing: boolean): void {
    if (this.flowing === true && !flowing) this.lostContact();
    if (this.flowing === false && flowing) void this.fill();
    this.flowing = flowing;
  }

  /** Contact lost (MQTT link down, source upstream lost, paused): the gap starts after the newest held. */
  lostContact(): void {
    if (this.gapFrom === undefined) this.gapFrom = this.book.newest() ?? null;
  }

  /**
   * Fills the open gap over JSON-RPC `trades.recent`: the recent history when nothing was held,
   * else what is newer than the newest trade held when the gap opened. `after` is exclusive at
   * millisecond precision, so it is taken 1 ms early: a trade missed in that same millisecond
   * comes back too, and the book drops the ones already held. A gap of more than FETCH trades
   * keeps its oldest part missing: beyond the rows shown, and the chart shows the jump.
   */
  async fill(): Promise<void> {
    const from = this.gapFrom;
    if (from === undefined || this.state !== 'live' || !this.link.connected) return;
    this.gapFrom = undefined;
    const params: Record<string, unknown> = { source: this.source, symbol: this.symbol, count: FETCH };
    const at = from ? Date.parse(from.timestamp) : Number.NaN;
    if (!Number.isNaN(at)) params.after = new Date(at - 1).toISOString();
    try {
      const trades = await this.link.call<Trade[]>('trades.recent', params);
      let added = 0;
      for (const trade of trades) if (this.book.add(trade)) added++;
      if (added > 0) renderNextFrame(this.render);
      if (this.note.textContent?.startsWith('History')) setText(this.note, '');
    } catch (error) {
      // Still missing: the next reconnect (or resume) tries again from the same trade.
      this.gapFrom ??= from;
      setText(this.note, `History not loaded: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private setState(state: CardState): void {
    this.state = state;
    setAttr(this.el, 'data-state', state);
    setText(this.pauseButton, state === 'paused' ? 'Resume' : 'Pause');
    setAttr(this.pauseButton, 'data-action', state === 'paused' ? 'resume' : 'pause');
    if (state === 'opening') this.pauseButton.setAttribute('disabled', '');
    else this.pauseButton.removeAttribute('disabled');
  }

  private createChart(): void {
    const width = Math.max(200, this.chartBox.clientWidth);
    const axis = { stroke: '#9aa4b2', grid: { stroke: '#262d3a', width: 1 }, ticks: { stroke: '#262d3a' } };
    this.plot = new uPlot(
      {
        width,
        height: 160,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true } },
        series: [{}, { label: 'price', stroke: '#4fc3f7', width: 1.5, points: { show: false } }],
        axes: [axis, { ...axis, size: 80 }],
      },
      [[], []],
      this.chartBox,
    );
    this.resize = new ResizeObserver(() => {
      const w = this.chartBox.clientWidth;
      if (this.plot && w > 0 && w !== this.plot.width) this.plot.setSize({ width: w, height: 160 });
    });
    this.resize.observe(this.chartBox);
  }

  /**
   * One frame's redraw: the newest rows and the chart. Rows are reconciled in place (new ones
   * inserted, the oldest removed), so a frame touches only the rows that changed.
   */
  private draw(): void {
    if (!this.el.isConnected) return;
    const shown = this.book.latest(ROWS);
    let cursor = this.tbody.firstElementChild;
    for (const trade of shown) {
      const row = this.rows.get(trade.tradeId) ?? this.row(trade);
      if (row === cursor) cursor = cursor.nextElementSibling;
      else this.tbody.insertBefore(row, cursor);
    }
    while (cursor) {
      const next = cursor.nextElementSibling;
      this.rows.delete(cursor.getAttribute('data-trade-id') ?? '');
      cursor.remove();
      cursor = next;
    }
    const newest = shown[0];
    if (newest) {
      setText(this.last, price(newest.price));
      setAttr(this.last, 'data-side', newest.side);
    }
    this.plot?.setData(this.book.series());
  }

  private row(trade: Trade): HTMLTableRowElement {
    const tr = h(
      'tr',
      { 'data-trade-id': trade.tradeId, 'data-side': trade.side },
      h('td', {}, clockTime(trade.timestamp)),
      h('td', { class: 'side' }, trade.side),
      h('td', { class: 'num' }, price(trade.price)),
      h('td', { class: 'num' }, qty(trade.qty)),
      h('td', { class: 'num id' }, trade.tradeId),
    );
    this.rows.set(trade.tradeId, tr);
    return tr;
  }
}
