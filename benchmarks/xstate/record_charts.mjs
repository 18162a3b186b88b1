// Record xstate v5's value, context and status after start and after every event, for the random
// charts of tests/interop/xstate_charts.py (the differential test of semantics="xstate").
// stdin: [{"seed", "config", "events": [name or {"type", ...data} or {"advance": ms}]}, ...];
// stdout: [[{"value", "context", "status"}, ...], ...]
// Each actor runs on its own SimulatedClock; {"advance": ms} moves that clock forward (see `advance`).
import { readFileSync } from "node:fs";
import { assign, cancel, createActor, raise, sendTo, setup, SimulatedClock } from "xstate";

const boom = ({ context }, params) => {
  if (context.n === params.at) throw new Error("boom");
  return {};
};
const implementations = {
  actions: {
    push: assign(({ context }, params) => ({ log: [...context.log, params.tag] })),
    inc: assign(({ context }, params) => ({ n: context.n + params.by })),
    burn: assign(({ context }) => ({ fuel: context.fuel - 1 })),
    addK: assign(({ context, event }) => ({ n: context.n + (event.k ?? 0) })),
    refuel: assign({ fuel: 4 }),
    tock: assign(({ context }) => ({ ticks: context.ticks - 1 })),
    rewind: assign({ ticks: 6 }),
    raiseIt: raise((_, params) => ({ type: params.event })),
    boom: assign(boom),
    // delayed events (the timed charts): params give the event, the delay, the target and the id
    raiseLater: raise((_, params) => ({ type: params.event }), { delay: (_, params) => params.delay, id: "late" }),
    raiseSlow: raise((_, params) => ({ type: params.event }), { delay: "slow" }),
    sendLater: sendTo(({ self }, params) => (params.to === "#_self" ? self : params.to),
      (_, params) => ({ type: params.event }), { delay: (_, params) => params.delay, id: "late2" }),
    sendNow: sendTo(({ self }, params) => (params.to === "#_self" ? self : params.to),
      (_, params) => ({ type: params.event })),
    cancelIt: cancel((_, params) => params.id),
  },
  delays: {
    slow: 200,
    byN: ({ context }) => 50 + 10 * (context.n % 5),
  },
  guards: {
    nIs: ({ context }, params) => context.n % params.mod === params.r,
    kIs: ({ event }, params) => (event.k ?? 0) % 2 === params.r,
    fuel: ({ context }, params) => context.fuel > 0 && context.n % params.mod === params.r,
    tick: ({ context }) => context.ticks > 0,
    boomGuard: ({ context }, params) => {
      if (context.n === params.at) throw new Error("boom guard");
      return true;
    },
  },
};

const observe = (snapshot) => ({
  value: snapshot.value === undefined ? null : snapshot.value,
  context: snapshot.context === undefined ? null : snapshot.context,
  status: snapshot.status,
});

// Move the clock `ms` forward one due time at a time: SimulatedClock.increment(ms) would jump to
// the end at once, so a timer set while it fires the due ones would start at the end of the jump
// instead of at its own time. Stepping through each due time fires every timer at its own time,
// in due order (ties in the order they were set), as the project's VirtualClock does.
const advance = (clock, ms) => {
  const end = clock.now() + ms;
  for (;;) {
    let next = Infinity;
    for (const { start, timeout } of clock.timeouts.values()) next = Math.min(next, start + timeout);
    if (next > end) break;
    clock.set(Math.max(next, clock.now()));
  }
  clock.set(end);
};

const charts = JSON.parse(readFileSync(0, "utf8"));
const runs = charts.map(({ config, events }) => {
  const machine = setup(implementations).createMachine(config);
  const clock = new SimulatedClock();
  // TRACE=1: every event the actor takes, with the clock's time, on stderr (for debugging a disagreement)
  const inspect = process.env.TRACE ? (e) => e.type === "@xstate.event" && console.error(clock.now(), e.event.type) : undefined;
  const actor = createActor(machine, { clock, inspect });
  actor.subscribe({ error: () => {} }); // an error is recorded as the status, not reported
  actor.start();
  const seen = [observe(actor.getSnapshot())];
  for (const event of events) {
    if (typeof event === "object" && "advance" in event) advance(clock, event.advance);
    else actor.send(typeof event === "string" ? { type: event } : event);
    seen.push(observe(actor.getSnapshot()));
  }
  actor.stop();
  return seen;
});
process.stdout.write(JSON.stringify(runs));
