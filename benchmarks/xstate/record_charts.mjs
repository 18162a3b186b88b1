// Record xstate v5's value, context and status after start and after every event, for the random
// charts of tests/interop/xstate_charts.py (the differential test of semantics="xstate").
// stdin: [{"seed", "config", "events": [name or {"type", ...data}]}, ...]; stdout: [[{"value", "context", "status"}, ...], ...]
import { readFileSync } from "node:fs";
import { assign, createActor, raise, setup } from "xstate";

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
    raiseIt: raise((_, params) => ({ type: params.event })),
    boom: assign(boom),
  },
  guards: {
    nIs: ({ context }, params) => context.n % params.mod === params.r,
    kIs: ({ event }, params) => (event.k ?? 0) % 2 === params.r,
    fuel: ({ context }, params) => context.fuel > 0 && context.n % params.mod === params.r,
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

const charts = JSON.parse(readFileSync(0, "utf8"));
const runs = charts.map(({ config, events }) => {
  const machine = setup(implementations).createMachine(config);
  const actor = createActor(machine);
  actor.subscribe({ error: () => {} }); // an error is recorded as the status, not reported
  actor.start();
  const seen = [observe(actor.getSnapshot())];
  for (const event of events) {
    actor.send(typeof event === "string" ? { type: event } : event);
    seen.push(observe(actor.getSnapshot()));
  }
  actor.stop();
  return seen;
});
process.stdout.write(JSON.stringify(runs));
