import type { AnyStateMachine } from 'xstate';
import { connectorMachine, subscriptionsMachine, supervisorMachine } from '../../machines/index.js';

/** The machines drawn by `dataserver viz`, by the file name their diagrams get. */
export const MACHINES: readonly { name: string; machine: AnyStateMachine }[] = [
  { name: 'connector', machine: connectorMachine },
  { name: 'supervisor', machine: supervisorMachine },
  { name: 'subscriptions', machine: subscriptionsMachine },
];
