// xstate/graph's getShortestPaths on the bounded counter pair (0..MAX each): states and seconds.
// Usage: node graph_bench.mjs [MAX] [REPEAT]  -> prints one JSON line
import { createMachine, assign } from 'xstate';
import { getShortestPaths } from '@xstate/graph';

const MAX = Number(process.argv[2] ?? 50);
const REPEAT = Number(process.argv[3] ?? 3);

const machine = createMachine({
  id: 'counters',
  context: { a: 0, b: 0 },
  on: {
    INC_A: { guard: ({ context }) => context.a < MAX, actions: assign({ a: ({ context }) => context.a + 1 }) },
    DEC_A: { guard: ({ context }) => context.a > 0, actions: assign({ a: ({ context }) => context.a - 1 }) },
    INC_B: { guard: ({ context }) => context.b < MAX, actions: assign({ b: ({ context }) => context.b + 1 }) },
    DEC_B: { guard: ({ context }) => context.b > 0, actions: assign({ b: ({ context }) => context.b - 1 }) },
  },
});

const events = [{ type: 'INC_A' }, { type: 'DEC_A' }, { type: 'INC_B' }, { type: 'DEC_B' }];
let best = Infinity;
let first = null;
let states = 0;
for (let i = 0; i < REPEAT; i++) {
  const t0 = process.hrtime.bigint();
  const paths = getShortestPaths(machine, { events });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  states = paths.length;
  if (first === null) first = seconds;
  best = Math.min(best, seconds);
}
// first: a cold run (what one call costs a user); best: after the JIT has warmed up
console.log(JSON.stringify({ states, first, seconds: best }));
