/**
 * The connector ⇄ transport vocabulary. Defined in `machines/transport.ts` so that the charts
 * import nothing from `src/` (each file in `machines/` opens in the Stately editor as is).
 */
export type {
  TransportCommand,
  TransportEvent,
  TransportInput,
  UpstreamControl,
} from '../../machines/transport.js';
