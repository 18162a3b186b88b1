// Replay event sequences on a machine config with xstate v5 and print the state values.
// stdin: {"config": <machine config JSON>, "sequences": [["EVENT", ...], ...]}
// stdout: {"values": [[<initial value>, <value after each event>...], ...]}
import { readFileSync } from "node:fs";
import { createActor, createMachine } from "xstate";

const input = JSON.parse(readFileSync(0, "utf8"));
const machine = createMachine(input.config);
const values = input.sequences.map((sequence) => {
  const actor = createActor(machine).start();
  const seen = [actor.getSnapshot().value];
  for (const type of sequence) {
    actor.send({ type });
    seen.push(actor.getSnapshot().value);
  }
  actor.stop();
  return seen;
});
process.stdout.write(JSON.stringify({ values }));
