// The data world's public surface (issue 5): generator, oracle, judge, ratings and the readers for
// real datasets. Later stages (SFT, reward models, rejection sampling, PPO, GAtt, demo) import from here.
export { generateWorld, SIZES, type Size, type GenerateOptions, type GenerateReport } from "./generate.js";
export { Judge, JudgeInputError, MetaIndex, judgeFile, type JudgeReport } from "./judge.js";
export { scoreResponse, safetyPreference, adheres, isRefusal, type Score } from "./oracle.js";
export { RATINGS, MARGINS, SAFETY_LABELS, ratingForGap, ratingForMargin, safetyLabel, type Rating, type SafetyLabel } from "./ratings.js";
export { applyConstraint, drawConstraint, makeDialogue } from "./tasks/dialogue.js";
export { convertFile, convertRecord, readConverted, FORMATS, type Format } from "./readers/convert.js";
export { readJsonl, JsonlWriter, TextWriter } from "./jsonl.js";
export type { Answer, Constraint, DialogueMeta, Family, Kind, Message, Split, Task, TaskMeta, Variant } from "./types.js";
