// Log-probabilities of given tokens from one forward (PPO's policy and reference, TRL's
// `selective_log_softmax(logits, tokens)` = gather(log_softmax(logits), tokens)): forward reads
// logits without touching them; backward turns an upstream dLoss/dlogp[N] into dLoss/dLogits in
// place, d logp_i / d logit_ij = onehot_ij − softmax_ij, so the model's backward is never forked.
import { native } from "../../native/addon.js";

/**
 * logp[i] = log softmax(logits[i])[targets[i]] for logits[N,V]; rows with target -100 get 0.
 * The logits are left as they are (the backward needs them).
 */
export function tokenLogprobs(logits: Float32Array, targets: Int32Array, N: number, V: number,
  out: Float32Array = new Float32Array(N)): Float32Array {
  native.crossEntropy(logits, targets, out, null, N, V, 1);
  for (let i = 0; i < N; i++) out[i] = targets[i] === -100 ? 0 : -out[i]!;
  return out;
}

/**
 * Overwrites logits[N,V] (the forward's, unchanged since tokenLogprobs) with dLoss/dLogits given
 * dLogp[N] = dLoss/dlogp (already carrying any gradScale): row i becomes dLogp[i] · (onehot − softmax).
 * Rows with target -100 get 0.
 */
export function tokenLogprobsBackward(logits: Float32Array, targets: Int32Array, dLogp: Float32Array, N: number, V: number): void {
  if (dLogp.length < N) throw new RangeError(`tokenLogprobsBackward: dLogp has ${dLogp.length} entries, N = ${N}`);
  const scratch = new Float32Array(N);
  // crossEntropy's gradient with gradScale 1 is softmax − onehot = −d logp/d logits.
  native.crossEntropy(logits, targets, scratch, logits, N, V, 1);
  for (let i = 0; i < N; i++) {
    if (targets[i] === -100) continue;
    native.scaleInPlace(logits.subarray(i * V, (i + 1) * V), -dLogp[i]!, V);
  }
}
