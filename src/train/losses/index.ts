// The training losses as small pure functions over per-token (or per-pair) quantities (DESIGN.md §1.4,
// STYLE.md "Layer-level explicit backward"): each returns its loss and writes its gradient into the
// head's output buffer (or a per-token gradient a companion backward carries there).
export { weightedCrossEntropy, type WeightedLoss } from "./weighted-cross-entropy.js";
export { pairwiseMarginLoss, negLogSigmoid, sigmoid, type PairIndex, type PairwiseLoss } from "./pairwise-margin.js";
export { tokenLogprobs, tokenLogprobsBackward } from "./token-logprobs.js";
export { tokenValues, tokenValuesBackward } from "./value-head.js";
export { clippedPolicyLoss, type PolicyLossOptions, type PolicyLossResult } from "./clipped-policy.js";
export { clippedValueLoss, type ValueLossResult } from "./clipped-value.js";
