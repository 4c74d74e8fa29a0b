// A value head on every token (PPO's critic, TRL/OpenRLHF's `score` head read at each position):
// the scalar head of a LlamaForSequenceClassification model is applied at every position by
// Llama.forward, giving out[N, W]; values are its column 0. The backward writes dLoss/dValue into
// the same buffer (other columns 0) so Llama.backward takes it as it is.

/** values[i] = out[i·W + label] for the head output out[N, W]. */
export function tokenValues(out: Float32Array, N: number, W: number, label = 0,
  values: Float32Array = new Float32Array(N)): Float32Array {
  if (!(label >= 0 && label < W)) throw new RangeError(`tokenValues: label ${label} outside [0, ${W})`);
  for (let i = 0; i < N; i++) values[i] = out[i * W + label]!;
  return values;
}

/** Overwrites out[N, W] with dLoss/dOut from dValues[N] (column `label`; the rest 0). */
export function tokenValuesBackward(out: Float32Array, dValues: Float32Array, N: number, W: number, label = 0): void {
  if (dValues.length < N) throw new RangeError(`tokenValuesBackward: dValues has ${dValues.length} entries, N = ${N}`);
  out.fill(0, 0, N * W);
  for (let i = 0; i < N; i++) out[i * W + label] = dValues[i]!;
}
