// xstate v5 on node, the peer side of benchmarks/bench_interpreter.py, driven round by round so
// the Python side can interleave it with the other libraries.
// First stdin line: {"machines": {"<kind>": {"config": {...}, "events": ["EVENT", ...]}}}.
// Then one line per run: {"kind": "<kind>", "mode": "actor" | "pure"}; the answer (one line on
// stdout) is {"seconds": <time of the run>, "value": <state value>, "count": <context.count>}, or
// {"missing": true} when this xstate has no pure transition(). A machine's guard "notMax" and
// action "increment" (the context-carrying counter) are given by setup().
import { createInterface } from "node:readline";
import * as xstate from "xstate";

const MAX = 1e12;
const implementations = {
  guards: { notMax: ({ context }) => context.count < MAX },
  actions: { increment: xstate.assign({ count: ({ context }) => context.count + 1 }) },
};

const lines = createInterface({ input: process.stdin });
let machines = null;

function runOnce(kind, mode) {
  const { machine, events } = machines[kind];
  const start = process.hrtime.bigint();
  let snapshot;
  if (mode === "actor") {
    const actor = xstate.createActor(machine).start();
    for (const e of events) actor.send(e);
    snapshot = actor.getSnapshot();
    actor.stop();
  } else {
    if (typeof xstate.transition !== "function") return { missing: true };
    [snapshot] = xstate.initialTransition(machine);
    for (const e of events) [snapshot] = xstate.transition(machine, snapshot, e);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { seconds, value: snapshot.value, count: snapshot.context?.count ?? null };
}

lines.on("line", (line) => {
  const message = JSON.parse(line);
  if (machines === null) {
    machines = {};
    for (const [kind, { config, events }] of Object.entries(message.machines)) {
      machines[kind] = { machine: xstate.setup(implementations).createMachine(config),
                         events: events.map((type) => ({ type })) };
    }
    process.stdout.write(JSON.stringify({ ready: true }) + "\n");
    return;
  }
  process.stdout.write(JSON.stringify(runOnce(message.kind, message.mode)) + "\n");
});
