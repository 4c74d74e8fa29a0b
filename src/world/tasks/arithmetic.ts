// Arithmetic with multi-digit numbers: addition, subtraction, multiplication by one digit.
// Every number of two or more digits in the prompt is owned by the prompt's split.
import type { SplitView } from "../entities.js";
import type { Rng } from "../rng.js";
import type { Task } from "../types.js";
import { answer, hedge, say } from "./common.js";

const ASK = {
  add: ["What is {a} plus {b}?", "Add {a} and {b}.", "Compute {a} + {b}.", "How much is {a} plus {b}?", "What do you get if you add {a} and {b}?"],
  sub: ["What is {a} minus {b}?", "Subtract {b} from {a}.", "Compute {a} - {b}.", "How much is {a} take away {b}?", "What is left if you take {b} from {a}?"],
  mul: ["What is {a} times {b}?", "Multiply {a} by {b}.", "Compute {a} * {b}.", "How much is {a} times {b}?", "What is the product of {a} and {b}?"],
};
const WORD = { add: "plus", sub: "minus", mul: "times" };
const REPLY = ["The answer is {r}.", "It is {r}.", "{a} {op} {b} is {r}.", "{r}."];

/** One arithmetic task. */
export function arithmeticTask(v: SplitView, rng: Rng): Task {
  const op = rng.pick(["add", "sub", "mul"] as const);
  let a: number, b: number, r: number;
  if (op === "add") { a = v.number(rng, 10, 999); b = v.number(rng, 10, 999); r = a + b; }
  else if (op === "sub") {
    a = v.number(rng, 10, 999); b = v.number(rng, 10, 999, (n) => n !== a);
    if (b > a) [a, b] = [b, a];
    r = a - b;
  }
  else { a = v.number(rng, 10, 99); b = rng.int(2, 9); r = a * b; }
  const slots = { a, b, op: WORD[op] };
  const reference = say(rng, REPLY, { ...slots, r });
  let w = r + rng.pick([1, -1, 10, -10, 2]);
  if (w < 0 || w === a || w === b) w = r + 1;
  return {
    prompt: say(rng, ASK[op], slots),
    meta: { family: "arithmetic", kind: "helpful", split: v.split, entities: [`num:${a}`, ...(b >= 10 ? [`num:${b}`] : [])], answer: answer([String(r)], reference) },
    reference,
    subtlyWrong: say(rng, REPLY, { ...slots, r: w }),
    partial: hedge(rng, String(r), String(w)),
  };
}
