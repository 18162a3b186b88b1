// Records xstate v5 running the actor scenarios of tests/runtime/test_xstate_actors.py: after each
// event (and once after start; an "@advance" step moves the simulated clock), the root's value, context and status, each child's context, and
// every emitted event. Prints {"xstate": version, "scenarios": {name: {"steps": [...], "emitted": [...]}}}.
// The Python test replays the same charts on statecharts.runtime and compares.
import { readFileSync } from 'node:fs';
import {
  assign, createActor, createMachine, emit, forwardTo, fromCallback, sendParent, sendTo, setup, SimulatedClock,
  spawnChild, stopChild,
} from 'xstate';

const version = JSON.parse(readFileSync(new URL('./node_modules/xstate/package.json', import.meta.url))).version;

const adder = createMachine({
  id: 'adder', context: ({ input }) => ({ a: input.a, b: input.b }), initial: 'adding',
  states: { adding: { always: 'done' }, done: { type: 'final' } },
  output: ({ context }) => ({ sum: context.a + context.b }),
});
const counter = createMachine({
  id: 'counter', context: ({ input }) => ({ pings: 0, start: input?.start ?? 0 }), initial: 'on',
  states: { on: { on: { PING: { actions: assign({ pings: ({ context }) => context.pings + 1 }) } } } },
});
const ponger = createMachine({
  id: 'ponger', context: { pongs: 0 }, initial: 'ready',
  states: { ready: { on: { PING: { actions: [assign({ pongs: ({ context }) => context.pongs + 1 }),
    sendParent({ type: 'PONG' })] } } } },
});
const collector = createMachine({
  id: 'collector', context: { total: 0 }, initial: 'on',
  states: { on: { on: { JOB: { actions: assign({ total: ({ context, event }) => context.total + event.n }) } } } },
});
const logger = createMachine({
  id: 'logger', context: { lines: [] }, initial: 'on',
  states: { on: { on: { LOG: { actions: assign({ lines: ({ context, event }) => [...context.lines, event.line] }) } } } },
});
const worker = createMachine({
  id: 'worker', initial: 'on',
  states: { on: { on: { WORK: { actions: sendTo(({ system }) => system.get('audit'), { type: 'LOG', line: 'worked' }) } } } },
});
const echo = fromCallback(({ sendBack, receive, input }) => {
  receive((event) => sendBack({ type: 'ECHO', text: input.prefix + event.text }));
});

const scenarios = {
  invoke_output: {
    machine: setup({ actors: { adder } }).createMachine({
      id: 'parent', context: { result: null }, initial: 'waiting', states: {
        waiting: { invoke: { src: 'adder', id: 'add', input: () => ({ a: 2, b: 3 }),
          onDone: { target: 'ready', actions: assign({ result: ({ event }) => event.output.sum }) } } },
        ready: { on: { AGAIN: 'waiting' } } } }),
    events: [{ type: 'AGAIN' }],
  },
  spawn_send_to: {
    machine: setup({ actors: { counter } }).createMachine({
      id: 'parent', initial: 'on', states: { on: { on: {
        SPAWN: { actions: spawnChild('counter', { id: 'w1', input: { start: 5 } }) },
        PING: { actions: sendTo('w1', { type: 'PING' }) } } } } }),
    events: [{ type: 'SPAWN' }, { type: 'PING' }, { type: 'PING' }],
  },
  send_parent: {
    machine: setup({ actors: { ponger } }).createMachine({
      id: 'parent', context: { pongs: 0 }, initial: 'on', states: { on: {
        invoke: { src: 'ponger', id: 'p' },
        on: { GO: { actions: sendTo('p', { type: 'PING' }) },
          PONG: { actions: assign({ pongs: ({ context }) => context.pongs + 1 }) } } } } }),
    events: [{ type: 'GO' }, { type: 'GO' }, { type: 'GO' }],
  },
  forward_to: {
    machine: setup({ actors: { collector } }).createMachine({
      id: 'parent', initial: 'on', states: { on: { invoke: { src: 'collector', id: 'c' },
        on: { JOB: { actions: forwardTo('c') } } } } }),
    events: [{ type: 'JOB', n: 1 }, { type: 'JOB', n: 2 }, { type: 'JOB', n: 4 }],
  },
  emit: {
    machine: createMachine({
      id: 'saver', context: { n: 0 }, initial: 'on', states: { on: { on: {
        SAVE: { actions: [assign({ n: ({ context }) => context.n + 1 }),
          emit(({ context }) => ({ type: 'SAVED', n: context.n }))] },
        NOTE: { actions: emit({ type: 'NOTED' }) } } } } }),
    events: [{ type: 'SAVE' }, { type: 'NOTE' }, { type: 'SAVE' }],
  },
  stop_child: {
    machine: setup({ actors: { counter } }).createMachine({
      id: 'parent', initial: 'on', states: { on: { on: {
        SPAWN: { actions: spawnChild('counter', { id: ({ event }) => event.name }) },
        PING: { actions: sendTo(({ event }) => event.name, { type: 'PING' }) },
        STOP: { actions: stopChild(({ event }) => event.name) } } } } }),
    events: [{ type: 'SPAWN', name: 'w1' }, { type: 'SPAWN', name: 'w2' }, { type: 'PING', name: 'w2' },
      { type: 'STOP', name: 'w1' }],
  },
  callback_service: {
    machine: setup({ actors: { echo } }).createMachine({
      id: 'parent', context: { heard: [] }, initial: 'on', states: {
        on: { invoke: { src: 'echo', id: 'echo', input: { prefix: '>' } }, on: {
          SAY: { actions: sendTo('echo', ({ event }) => ({ type: 'SAY', text: event.text })) },
          ECHO: { actions: assign({ heard: ({ context, event }) => [...context.heard, event.text] }) },
          OFF: 'off' } },
        off: {} } }),
    events: [{ type: 'SAY', text: 'hi' }, { type: 'SAY', text: 'yo' }, { type: 'OFF' }],
  },
  entry_send_to_invoked: {
    machine: setup({ actors: { ponger } }).createMachine({
      id: 'parent', context: { pongs: 0 }, initial: 'on', states: { on: {
        invoke: { src: 'ponger', id: 'p' }, entry: sendTo('p', { type: 'PING' }),
        on: { PONG: { actions: assign({ pongs: ({ context }) => context.pongs + 1 }) }, GO: { actions: sendTo('p', { type: 'PING' }) } } } } }),
    events: [{ type: 'GO' }],
  },
  delayed_send_to: {
    machine: setup({ actors: { ponger } }).createMachine({
      id: 'parent', context: { pongs: 0 }, initial: 'on', states: { on: {
        invoke: { src: 'ponger', id: 'p' },
        on: { GO: { actions: sendTo('p', { type: 'PING' }, { delay: 100 }) },
          PONG: { actions: assign({ pongs: ({ context }) => context.pongs + 1 }) } } } } }),
    events: [{ type: 'GO' }, { type: '@advance', ms: 99 }, { type: '@advance', ms: 1 }, { type: 'GO' },
      { type: 'GO' }, { type: '@advance', ms: 100 }],
  },
  system_get: {
    machine: setup({ actors: { logger, worker } }).createMachine({
      id: 'parent', initial: 'on', states: { on: {
        entry: [spawnChild('logger', { id: 'audit', systemId: 'audit' }), spawnChild('worker', { id: 'w' })],
        on: { WORK: { actions: forwardTo('w') } } } } }),
    events: [{ type: 'WORK' }, { type: 'WORK' }],
  },
};

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

async function run({ machine, events }) {
  const emitted = [];
  const steps = [];
  const clock = new SimulatedClock();
  const actor = createActor(machine, { clock });
  actor.on('*', (event) => emitted.push(event));
  const record = (event) => {
    const s = actor.getSnapshot();
    const children = {};
    for (const [id, child] of Object.entries(s.children)) {
      if (child) children[id] = child.getSnapshot().context ?? null;
    }
    steps.push({ event, value: s.value, context: s.context, status: s.status, children });
  };
  actor.start();
  await settle();
  record(null);
  for (const event of events) {
    if (event.type === '@advance') clock.increment(event.ms); // virtual time, not an event
    else actor.send(event);
    await settle();
    record(event);
  }
  actor.stop();
  return { steps, emitted };
}

const out = { xstate: version, scenarios: {} };
for (const [name, scenario] of Object.entries(scenarios)) out.scenarios[name] = await run(scenario);
process.stdout.write(JSON.stringify(out, null, 1) + '\n');
