import { fromPromise, not, setup } from 'xstate';

/**
 * A small chart with one of everything the generators draw: a guard (named and composed), named
 * and numeric delays, `always`, an invoked actor's `onError`, a parallel state's `onDone`, nested
 * and final states, targetless transitions, a transition on the machine itself, a key used twice,
 * a key Mermaid reserves, and descriptions with characters Mermaid must not read as syntax.
 */
export const sampleMachine = setup({
  types: {
    events: {} as { type: 'GO' } | { type: 'TICK' } | { type: 'STOP' } | { type: 'NEXT' },
  },
  actors: { worker: fromPromise(async () => 1) },
  guards: { canGo: () => true, isBroken: () => false },
  delays: { patience: 100 },
  actions: { count: () => {}, note: () => {} },
}).createMachine({
  id: 'sample',
  description: 'A chart to draw.',
  initial: 'idle',
  on: { STOP: { target: '.end' }, TICK: { actions: 'note' } },
  states: {
    idle: {
      description: 'Waiting; nothing runs: "yet" #1 <now> 100%.',
      on: { GO: { guard: 'canGo', target: 'busy' }, TICK: { actions: 'count' } },
    },
    busy: {
      description: 'Two things at once.',
      type: 'parallel',
      invoke: { src: 'worker', onError: { target: 'idle' } },
      onDone: { target: 'idle' },
      states: {
        left: {
          initial: 'step',
          states: {
            step: { after: { patience: { target: 'finished' }, 500: { target: 'finished' } } },
            finished: { type: 'final' },
          },
        },
        right: {
          initial: 'step',
          on: { NEXT: { target: '.finished' } },
          states: {
            step: { always: { guard: not('isBroken'), target: 'finished' } },
            finished: { type: 'final', description: 'Right is done.' },
          },
        },
      },
    },
    end: { type: 'final', description: 'Over.' },
  },
});
