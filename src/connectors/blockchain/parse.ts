import { isSymbol, type Side, type Trade } from '../../domain/index.js';
import { isoNow } from '../clock.js';
import type { FrameSink } from '../dialect.js';
import { parseObjectFrame } from '../json.js';

/** 0, 6 or 9 (any count, really) fractional digits, always UTC. */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

type Json = Record<string, unknown>;

/**
 * Parser for one connection of the "blockchain" dialect. `seqnum` is one counter per
 * connection shared by every message (CONTRACT §6): a jump is a gap, a repeat is a duplicate.
 *
 * Frames are checked by hand rather than with zod: this runs once per trade on the hot path,
 * and the shape is small and flat.
 */
export class BlockchainParser {
  private expected = 0;

  constructor(
    private readonly sourceId: string,
    private readonly sink: FrameSink,
    /** Clock for `receivedAt` (tests inject one); by default the shared per-millisecond one. */
    private readonly now: (() => Date) | undefined = undefined,
    /** The topic symbol for a venue symbol (identity unless the source maps symbols). */
    private readonly toTopic: (venueSymbol: string) => string = (s) => s,
  ) {}

  parse(frame: string): void {
    const m = parseObjectFrame(frame, this.sink);
    if (m === null) return;
    // Some rejections (e.g. throttling) carry no seqnum at all.
    if (m.seqnum !== undefined) {
      if (!Number.isSafeInteger(m.seqnum) || (m.seqnum as number) < 0) {
        this.sink.bad('bad_seqnum', frame);
        return;
      }
      if (!this.sequence(m.seqnum as number)) return;
    }
    this.dispatch(m, frame);
  }

  /** False when the frame is a duplicate and must be ignored. */
  private sequence(seqnum: number): boolean {
    if (seqnum < this.expected) {
      this.sink.duplicate(seqnum);
      return false;
    }
    if (seqnum > this.expected)
      this.sink.control({ type: 'UPSTREAM.GAP', expected: this.expected, received: seqnum });
    this.expected = seqnum + 1;
    return true;
  }

  private dispatch(m: Json, frame: string): void {
    const symbol = typeof m.symbol === 'string' ? this.toTopic(m.symbol) : null;
    switch (m.event) {
      case 'updated':
        if (m.channel === 'trades') this.trade(m, frame);
        else if (m.channel !== 'heartbeat') this.sink.bad('unknown_channel', frame);
        else {
          // A heartbeat is only liveness, but a malformed one is still a malformed frame.
          const problem = heartbeatProblem(m);
          if (problem !== null) this.sink.bad(problem, frame);
        }
        return;
      case 'subscribed':
      case 'unsubscribed':
        if (m.channel === 'trades' && symbol !== null) {
          this.sink.control({
            type: m.event === 'subscribed' ? 'UPSTREAM.SUBSCRIBED' : 'UPSTREAM.UNSUBSCRIBED',
            symbol,
          });
        } else if (m.channel !== 'heartbeat' && m.channel !== 'auth') {
          this.sink.bad('unknown_ack', frame);
        }
        return;
      case 'rejected':
        this.sink.control({
          type: 'UPSTREAM.REJECTED',
          symbol,
          text: typeof m.text === 'string' ? m.text : 'rejected without reason',
        });
        return;
      default:
        this.sink.bad('unknown_event', frame);
    }
  }

  private trade(m: Json, frame: string): void {
    const problem = tradeProblem(m, this.toTopic);
    if (problem !== null) {
      this.sink.bad(problem, frame);
      return;
    }
    const trade: Trade = {
      source: this.sourceId,
      symbol: this.toTopic(m.symbol as string),
      tradeId: m.trade_id as string,
      price: m.price as number,
      qty: m.qty as number,
      side: m.side as Side,
      timestamp: m.timestamp as string,
      seqnum: m.seqnum as number,
      receivedAt: this.now ? this.now().toISOString() : isoNow(),
    };
    this.sink.trade(trade);
  }
}

function heartbeatProblem(m: Json): string | null {
  if (m.seqnum === undefined) return 'missing_seqnum';
  if (typeof m.timestamp !== 'string' || !TIMESTAMP.test(m.timestamp)) return 'bad_timestamp';
  return null;
}

/** The reason a trade frame is unusable (a stable metric label), or null when it is good (exported for the bench). */
export function tradeProblem(m: Json, toTopic: (venueSymbol: string) => string): string | null {
  const { symbol, timestamp, side, qty, price, trade_id: id, seqnum } = m;
  // Trades always carry one; without it the published trade would lack a contract field.
  if (seqnum === undefined) return 'missing_seqnum';
  if (typeof symbol !== 'string' || symbol === '') return 'missing_symbol';
  // It becomes a topic level: `BTC/USD` or `#` would publish somewhere else entirely.
  if (!isSymbol(toTopic(symbol))) return 'bad_symbol';
  if (typeof id !== 'string' || id === '') return 'missing_trade_id';
  if (typeof timestamp !== 'string' || !TIMESTAMP.test(timestamp)) return 'bad_timestamp';
  if (side !== 'buy' && side !== 'sell') return 'bad_side';
  if (!isPositive(qty)) return 'bad_qty';
  if (!isPositive(price)) return 'bad_price';
  return null;
}

function isPositive(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x) && x > 0;
}
