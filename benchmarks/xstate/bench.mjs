// Events per second for xstate v5 on a machine config, driven by the same event sequence as the
// Python benchmark. stdin: {"config": {...}, "events": ["EVENT", ...], "repeat": 5}
// stdout: {"actor": events/s via actor.send, "pure": events/s via transition() (when xstate has it),
//          "value": the state value after the actor's last run}
import { readFileSync } from "node:fs";
import * as xstate from "xstate";

const input = JSON.parse(readFileSync(0, "utf8"));
const machine = xstate.createMachine(input.config);
const events = input.events.map((type) => ({ type }));
const repeat = input.repeat ?? 5;

function best(run) {
  run(); // warm-up (JIT)
  let fastest = Infinity;
  for (let i = 0; i < repeat; i++) {
    const start = process.hrtime.bigint();
    run();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    fastest = Math.min(fastest, seconds);
  }
  return events.length / fastest;
}

let value = null;
const actor = best(() => {
  const a = xstate.createActor(machine).start();
  for (const e of events) a.send(e);
  value = a.getSnapshot().value;
  a.stop();
});

let pure = null;
if (typeof xstate.transition === "function" && typeof xstate.initialTransition === "function") {
  pure = best(() => {
    let [snapshot] = xstate.initialTransition(machine);
    for (const e of events) [snapshot] = xstate.transition(machine, snapshot, e);
  });
}
process.stdout.write(JSON.stringify({ actor, pure, value }));
