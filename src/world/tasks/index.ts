// The task-family registry: draws a task of a given kind (helpful / unsafe / borderline) for a split.
import type { SplitView } from "../entities.js";
import type { Rng } from "../rng.js";
import type { Family, Kind, Task } from "../types.js";
import { arithmeticTask } from "./arithmetic.js";
import { countingTask } from "./counting.js";
import { encyclopediaTask } from "./encyclopedia.js";
import { borderlineTask, unsafeTask } from "./safety.js";
import { sortingTask } from "./sorting.js";
import { stringTask } from "./strings.js";
import { unitsTask } from "./units.js";

type Maker = (v: SplitView, rng: Rng) => Task;

/** The helpful families, each with its generator. */
export const HELPFUL_FAMILIES: Readonly<Partial<Record<Family, Maker>>> = {
  arithmetic: arithmeticTask, counting: countingTask, string: stringTask,
  sorting: sortingTask, units: unitsTask, encyclopedia: encyclopediaTask,
};
const helpfulMakers = Object.values(HELPFUL_FAMILIES) as Maker[];

/** A helpful task from a uniformly chosen family. */
export function helpfulTask(v: SplitView, rng: Rng): Task {
  return rng.pick(helpfulMakers)(v, rng);
}

/** A task of the given kind. */
export function makeTask(v: SplitView, rng: Rng, kind: Kind): Task {
  if (kind === "helpful") return helpfulTask(v, rng);
  if (kind === "unsafe") return unsafeTask(v, rng);
  return borderlineTask(v, rng, helpfulTask);
}
