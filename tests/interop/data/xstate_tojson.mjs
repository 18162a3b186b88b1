import { createMachine, raise, sendTo, cancel, assign, log, setup, emit } from "xstate";
const m = setup({actions: {hello: () => {}}, guards: {ok: () => true}}).createMachine({
  id: "m", initial: "a", context: {n: 0},
  states: {
    a: { entry: [raise({type: "R"}), "hello", {type: "hello", params: {x: 1}}, log("hi"), cancel("t"), emit({type: "E"})],
         on: { GO: { target: "b", guard: {type: "ok", params: {y: 2}}, actions: [assign({n: 1}), sendTo("x", {type: "P"}), raise({type: "Q"}, {delay: 100, id: "t"})] },
               "A.*": ".c", BACK: {target: "#m.a", reenter: true} },
         initial: "c",
         states: { c: {}, h: {type: "history", history: "deep", target: "c"} },
         after: { 1000: "b" }, always: { target: "b", guard: "ok" } },
    b: { type: "parallel", states: { r1: {}, r2: {} }, onDone: "z" },
    z: { type: "final", output: {done: true} },
  },
});
console.log(JSON.stringify(m.toJSON(), null, 1));
