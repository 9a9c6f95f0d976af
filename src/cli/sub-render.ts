import { fitLine, padEnd, padStart, type Seg, seg, widthOf } from './sub-ansi.js';
import { connectionSegs, statusSegs, symbolsText, timeOfDay } from './sub-format.js';
import { changeOf, type Row, type SubModel } from './sub-model.js';

/** Everything the screen depends on besides the model: no terminal, no clock of its own. */
export interface ScreenView {
  /** Columns available (`process.stdout.columns`). */
  width: number;
  /** Lines available; rows beyond them are summarized. Undefined: no limit. */
  height?: number | undefined;
  now: number;
  url: string;
  color: boolean;
  /** The command being typed, or null when there are no keyboard controls. */
  prompt: string | null;
}

export const CONTROLS_HINT = 'g graceful · a abrupt · t N drop N s · q quit, then Enter';
/** How long a notice stays under the table. */
export const NOTICE_MS = 10_000;
const GAP = '  ';

interface Column {
  title: string;
  right: boolean;
  /** Lower is kept longer when the terminal is narrow. */
  priority: number;
  cell(row: Row, model: SubModel, now: number): Seg;
}

function signed(n: number, decimals: number, suffix = ''): Seg {
  const text = Math.abs(n).toFixed(decimals);
  if (Number(text) === 0) return seg(`${text}${suffix}`);
  return n > 0 ? seg(`+${text}${suffix}`, 'green') : seg(`-${text}${suffix}`, 'red');
}

const COLUMNS: readonly Column[] = [
  { title: 'SOURCE', right: false, priority: 2, cell: (r) => seg(r.source) },
  { title: 'SYMBOL', right: false, priority: 0, cell: (r) => seg(r.symbol, 'bold') },
  { title: 'LAST', right: true, priority: 1, cell: (r) => seg(r.last.toFixed(r.decimals)) },
  { title: 'CHG', right: true, priority: 6, cell: (r) => signed(changeOf(r).abs, r.decimals) },
  {
    title: 'CHG%',
    right: true,
    priority: 3,
    cell: (r) => {
      const pct = changeOf(r).pct;
      return pct === null ? seg('—') : signed(pct, 2, '%');
    },
  },
  { title: 'T/S', right: true, priority: 5, cell: (r, m, now) => seg(m.rate(r, now).toFixed(1)) },
  {
    title: 'SIDE',
    right: false,
    priority: 4,
    cell: (r) => (r.side === 'buy' ? seg('buy', 'green') : seg('sell', 'red')),
  },
  { title: 'TIME', right: false, priority: 7, cell: (r) => seg(timeOfDay(r.timestamp), 'dim') },
];

function uptime(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const hh = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return `${hh}:${mm}:${ss}`;
}

/** The columns that fit in `width`, in display order, with their widths. */
function layout(cells: Seg[][], width: number): Array<{ index: number; width: number }> {
  const widths = COLUMNS.map((c, i) =>
    Math.max(widthOf(c.title), ...cells.map((r) => widthOf(r[i]?.text ?? ''))),
  );
  const chosen = new Set<number>();
  let used = 0;
  const byPriority = COLUMNS.map((c, i) => ({ p: c.priority, i })).sort((a, b) => a.p - b.p);
  for (const { i } of byPriority) {
    const w = (widths[i] as number) + (chosen.size > 0 ? GAP.length : 0);
    // The first column is always kept (cut if need be); the others only when they fit whole.
    if (chosen.size > 0 && used + w > width) continue;
    chosen.add(i);
    used += w;
  }
  return [...chosen].sort((a, b) => a - b).map((index) => ({ index, width: widths[index] as number }));
}

function tableLines(model: SubModel, view: ScreenView, maxRows: number): Seg[][] {
  const rows = model.rows();
  if (rows.length === 0) return [[seg('waiting for trades…', 'dim')]];
  const cells = rows.map((r) => COLUMNS.map((c) => c.cell(r, model, view.now)));
  const cols = layout(cells, view.width);
  const pad = (s: Seg, i: number, w: number): Seg => ({
    text: COLUMNS[i]?.right ? padStart(s.text, w) : padEnd(s.text, w),
    style: s.style,
  });
  const line = (row: Seg[]): Seg[] =>
    cols.flatMap(({ index, width }, k) => {
      const cell = pad(row[index] ?? seg(''), index, width);
      return k === 0 ? [cell] : [seg(GAP), cell];
    });
  const header = line(COLUMNS.map((c) => seg(c.title))).map((s) => ({ ...s, style: 'dim' as const }));
  const shown = rows.length > maxRows ? Math.max(0, maxRows - 1) : rows.length;
  const out = [header, ...cells.slice(0, shown).map(line)];
  if (shown < rows.length) out.push([seg(`… ${rows.length - shown} more`, 'dim')]);
  return out;
}

function statusLines(model: SubModel, now: number): Seg[][] {
  const statuses = model.statuses();
  const nameWidth = Math.max(0, ...statuses.map((s) => widthOf(s.source)));
  return statuses.map((s) => {
    const line = [seg(padEnd(s.source, nameWidth), 'bold'), seg(GAP), ...statusSegs(s, now)];
    const event = model.lastEvent(s.source);
    if (event) {
      const ago = Math.max(0, Math.round((now - event.at) / 1000));
      const detail = event.detail ? ` (${event.detail})` : '';
      line.push(seg(`  · ${event.method} ${ago} s ago${detail}`, 'dim'));
    }
    const symbols = symbolsText(s);
    if (symbols) line.push(seg(`  · ${symbols}`, 'dim'));
    return line;
  });
}

/**
 * The whole screen as lines, each at most `view.width` visible characters. Pure: the same model
 * and view give the same lines, ANSI colours included when `view.color`.
 */
export function renderScreen(model: SubModel, view: ScreenView): string[] {
  const header: Seg[] = [
    seg('DataServer sub  ', 'bold'),
    ...connectionSegs(model.connection, view.now),
    seg(`  ${view.url}  up ${uptime(view.now - model.startedAt)}  ${model.trades} trades`, 'dim'),
  ];
  const statuses = statusLines(model, view.now);
  const notice =
    model.notice && view.now - model.notice.at < NOTICE_MS ? [[seg(model.notice.text, 'cyan')]] : [];
  const footer: Seg[][] =
    view.prompt === null
      ? []
      : [[seg('> '), seg(`${view.prompt}_`, 'bold'), seg(`   ${CONTROLS_HINT}`, 'dim')]];
  // header, blank, table header, blank, statuses, blank, notice, footer
  const fixed = 4 + Math.max(1, statuses.length) + 1 + notice.length + footer.length;
  const maxRows = view.height === undefined ? Number.POSITIVE_INFINITY : Math.max(1, view.height - fixed);
  const lines: Seg[][] = [header, [], ...tableLines(model, view, maxRows), []];
  if (statuses.length > 0) lines.push(...statuses, []);
  else lines.push([seg('no source status yet', 'dim')], []);
  lines.push(...notice, ...footer);
  return lines.map((l) => fitLine(l, view.width, view.color));
}
