import type { Logger } from 'pino';
import { DataServerError } from '../src/domain/index.js';
import { type Counters, createCounters } from './accounting.js';
import type { ArmedFaults, Connection, ConnectionStatus } from './connection.js';
import type { TradeEvent } from './events.js';
import type { Exchange } from './exchange.js';
import { type FaultResult, type ParsedFault, parseFault } from './faults.js';

/** How long a client gets to answer a `graceful` close frame before its socket is destroyed. */
export const CLOSE_GRACE_MS = 1000;

export interface SimulatorStatus {
  readonly connections: ConnectionStatus[];
  /** ISO time until which new connections are refused, or null. */
  readonly refusingUntil: string | null;
  /** Connection attempts still to be refused. */
  readonly refuseAttempts: number;
  /** ISO time until which no trade is generated (`quiet`), or null. */
  readonly quietUntil: string | null;
  readonly armed: {
    readonly replay: { readonly count: number; readonly symbols: string[] } | null;
    /** Subscribes still to be rejected, per symbol. */
    readonly rejects: Record<string, number>;
    /** Connections still to be throttled at their next subscribe. */
    readonly throttles: number;
    /** Subscribe requests still to be left unanswered. */
    readonly mutes: number;
  };
  readonly counters: Counters;
}

const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

/**
 * Applies faults to a simulator's connections and holds the ones armed for later requests
 * (refuse window, replay, reject, throttle, mute). Every fault goes through `apply`, whatever triggered it.
 */
export class FaultController implements ArmedFaults {
  readonly counters = createCounters();
  private readonly rejects = new Map<string, number>();
  private replay: { count: number; symbols: Set<string> } | undefined;
  private throttles = 0;
  private mutes = 0;
  private refusingUntil = 0;
  private refuseAttempts = 0;
  private refuseTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly connections: ReadonlySet<Connection>,
    private readonly exchange: Exchange,
    private readonly log: Logger,
  ) {}

  /** Validates and applies a fault; throws CONFIG_INVALID naming the bad field. */
  apply(input: unknown): FaultResult {
    const fault = parseFault(input);
    const result = this.applyParsed(fault);
    this.counters.faults[fault.kind]++;
    this.log.info({ fault, connections: result.connections, result: result.message }, 'fault applied');
    return result;
  }

  /** True while a timed `refuse` fault holds. */
  get refusing(): boolean {
    return this.refusingUntil > Date.now();
  }

  /** Whether to refuse a connection attempt now; counts it (and claims one refused attempt) if so. */
  refuseAttempt(): boolean {
    if (this.refuseAttempts > 0) this.refuseAttempts--;
    else if (!this.refusing) return false;
    this.counters.connectionsRefused++;
    return true;
  }

  takeReject(symbol: string): string | undefined {
    const left = this.rejects.get(symbol);
    if (left === undefined) return undefined;
    if (left <= 1) this.rejects.delete(symbol);
    else this.rejects.set(symbol, left - 1);
    return `Subscription to ${symbol} rejected (simulated fault)`;
  }

  takeThrottle(): boolean {
    if (this.throttles === 0) return false;
    this.throttles--;
    this.counters.connectionsThrottled++;
    return true;
  }

  takeMute(): boolean {
    if (this.mutes === 0) return false;
    this.mutes--;
    this.counters.subscribesMuted++;
    return true;
  }

  takeReplay(symbol: string): readonly TradeEvent[] {
    if (this.replay === undefined || !this.replay.symbols.delete(symbol)) return [];
    const { count } = this.replay;
    if (this.replay.symbols.size === 0) this.replay = undefined;
    return this.exchange.recentTrades(symbol, count);
  }

  status(): SimulatorStatus {
    const quietUntil = this.exchange.quietUntilMs;
    return {
      connections: [...this.connections].map((c) => c.status()),
      refusingUntil: this.refusing ? new Date(this.refusingUntil).toISOString() : null,
      refuseAttempts: this.refuseAttempts,
      quietUntil: quietUntil === undefined ? null : new Date(quietUntil).toISOString(),
      armed: {
        replay: this.replay ? { count: this.replay.count, symbols: [...this.replay.symbols] } : null,
        rejects: Object.fromEntries(this.rejects),
        throttles: this.throttles,
        mutes: this.mutes,
      },
      counters: structuredClone(this.counters),
    };
  }

  /** Clears the refuse timer. */
  close(): void {
    clearTimeout(this.refuseTimer);
    this.refuseTimer = undefined;
  }

  private applyParsed(fault: ParsedFault): FaultResult {
    const done = (connections: number, message: string): FaultResult => ({ fault, connections, message });
    switch (fault.kind) {
      case 'graceful': {
        const targets = this.targets(fault.connection);
        for (const c of targets) void c.close(1000, 'Simulated graceful close', CLOSE_GRACE_MS);
        return done(targets.length, `closed ${plural(targets.length, 'connection')} with 1000`);
      }
      case 'abrupt': {
        const targets = this.targets(fault.connection);
        for (const c of targets) c.terminate();
        return done(targets.length, `dropped ${plural(targets.length, 'connection')} without a close frame`);
      }
      case 'refuse': {
        const targets = this.targets(undefined);
        let window: string;
        if (fault.attempts === undefined) {
          this.refuse((fault.seconds ?? 0) * 1000);
          window = `for ${fault.seconds} s`;
        } else {
          this.refuseAttempts += fault.attempts;
          window = `for the next ${plural(fault.attempts, 'attempt')}`;
        }
        for (const c of targets) c.terminate();
        return done(
          targets.length,
          `dropped ${plural(targets.length, 'connection')}; refusing new ones ${window}`,
        );
      }
      case 'stall': {
        const targets = this.targets(fault.connection);
        for (const c of targets) c.stall(fault.seconds * 1000);
        return done(targets.length, `stalled ${plural(targets.length, 'connection')} for ${fault.seconds} s`);
      }
      case 'garbage': {
        const targets = this.targets(fault.connection);
        for (const c of targets) c.addGarbage(fault.count);
        return done(
          targets.length,
          `${plural(fault.count, 'bad frame')} to interleave on ${plural(targets.length, 'connection')}`,
        );
      }
      case 'gap': {
        const targets = this.targets(fault.connection);
        for (const c of targets) c.skipSeqnum();
        return done(
          targets.length,
          `made a gap (Blockchain.com: a skipped seqnum; Coinbase: lost matches) on ${plural(targets.length, 'connection')}`,
        );
      }
      case 'replay':
        this.replay = { count: fault.count, symbols: new Set(this.exchange.symbols) };
        return done(0, `armed: the next subscribe to each symbol re-sends its last ${fault.count} trades`);
      case 'quiet':
        this.exchange.quiet(fault.seconds * 1000);
        return done(0, fault.seconds === 0 ? 'trades resume' : `no trades for ${fault.seconds} s`);
      case 'reject': {
        if (!this.exchange.symbols.has(fault.symbol)) {
          const offered = [...this.exchange.symbols].join(', ');
          throw new DataServerError(
            'CONFIG_INVALID',
            `Invalid fault: "symbol": ${JSON.stringify(fault.symbol)} is not offered (offered: ${offered})`,
          );
        }
        this.rejects.set(fault.symbol, (this.rejects.get(fault.symbol) ?? 0) + fault.count);
        return done(
          0,
          `armed: the next ${plural(fault.count, 'subscribe')} to ${fault.symbol} will be rejected`,
        );
      }
      case 'throttle':
        this.throttles += fault.count;
        return done(
          0,
          `armed: the next ${plural(fault.count, 'connection')} to subscribe will be throttled (rejected, then ignored)`,
        );
      case 'mute':
        this.mutes += fault.count;
        return done(0, `armed: the next ${plural(fault.count, 'subscribe')} will get no answer`);
    }
  }

  private targets(id: number | undefined): Connection[] {
    if (id === undefined) return [...this.connections];
    const found = [...this.connections].find((c) => c.id === id);
    if (found === undefined) {
      throw new DataServerError('CONFIG_INVALID', `Invalid fault: "connection": no open connection ${id}`);
    }
    return [found];
  }

  private refuse(ms: number): void {
    this.refusingUntil = Math.max(this.refusingUntil, Date.now() + ms);
    clearTimeout(this.refuseTimer);
    this.refuseTimer = setTimeout(() => {
      this.refuseTimer = undefined;
      this.log.info('accepting connections again');
    }, this.refusingUntil - Date.now()).unref();
  }
}
