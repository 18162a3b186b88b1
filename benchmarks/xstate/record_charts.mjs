// Record xstate v5's value, context and status after start and after every event, for the random
// charts of tests/interop/xstate_charts.py (the differential test of semantics="xstate").
// stdin: [{"seed", "config", "events"}, ...]; stdout: [[{"value", "context", "status"}, ...], ...]
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
    refuel: assign({ fuel: 4 }),
    raiseIt: raise((_, params) => ({ type: params.event })),
    boom: assign(boom),
  },
  guards: {
    nIs: ({ context }, params) => context.n % params.mod === params.r,
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
  for (const type of events) {
    actor.send({ type });
    seen.push(observe(actor.getSnapshot()));
  }
  actor.stop();
  return seen;
});
process.stdout.write(JSON.stringify(runs));
