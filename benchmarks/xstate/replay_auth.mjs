// Replay event sequences on the seed's auth machine (our JSON export) with xstate v5, providing
// JavaScript versions of its named guards, actions and the invoked `authenticate` service
// (accepts the password "secret"), and print the state value and context after each event.
// stdin: {"config": <machine config JSON>, "sequences": [[{"type": ..., ...}, ...], ...]}
// stdout: {"runs": [[[value, context], ...], ...]}
import { readFileSync } from "node:fs";
import { assign, createActor, createMachine, fromPromise } from "xstate";

const input = JSON.parse(readFileSync(0, "utf8"));
const config = input.config;
// our services receive (context, event); xstate's receive `input`: pass the triggering event
config.states.authenticating.invoke.input = ({ event }) => event;

const machine = createMachine(config).provide({
  guards: { maxRetriesReached: ({ context }) => context.retries >= context.maxRetries },
  actions: {
    setUser: assign({ user: ({ event }) => event.output }),
    setError: assign({ error: ({ event }) => String(event.error.message ?? event.error) }),
    incrementRetries: assign({ retries: ({ context }) => context.retries + 1 }),
    clearError: assign({ error: null }),
    clearUser: assign({ user: null }),
    resetRetries: assign({ retries: 0, error: null }),
  },
  actors: {
    authenticate: fromPromise(async ({ input: event }) => {
      if (event.password !== "secret") throw new Error(`bad password for '${event.username}'`);
      return String(event.username);
    }),
  },
});

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
const runs = [];
for (const sequence of input.sequences) {
  const actor = createActor(machine).start();
  const seen = [];
  const record = () => {
    const s = actor.getSnapshot();
    seen.push([s.value, { user: s.context.user, retries: s.context.retries, error: s.context.error }]);
  };
  record();
  for (const event of sequence) {
    actor.send(event);
    await settle();
    await settle();
    record();
  }
  actor.stop();
  runs.push(seen);
}
process.stdout.write(JSON.stringify({ runs }));
