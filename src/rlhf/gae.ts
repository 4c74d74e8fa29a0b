// Generalised advantage estimation (Schulman et al. 2016; TRL's PPO and OpenRLHF's get_advantages_and_returns):
//   δ_t = r_t + γ·V_{t+1} − V_t   (V after the last token = 0),   A_t = δ_t + γλ·A_{t+1},   R_t = A_t + V_t.
// Per-token rewards of a PPO rollout: −β·(log πθ − log π0) at every response token, plus the sequence's
// reward at the last one (the paper's R(g|p) = R̃c − β·KL).

/** Advantages and returns of one response (rewards, values: [T]). */
export function gae(rewards: ArrayLike<number>, values: ArrayLike<number>, gamma: number, lam: number): { advantages: Float64Array; returns: Float64Array } {
  const T = rewards.length;
  const advantages = new Float64Array(T), returns = new Float64Array(T);
  let last = 0;
  for (let t = T - 1; t >= 0; t--) {
    const next = t + 1 < T ? values[t + 1]! : 0;
    const delta = rewards[t]! + gamma * next - values[t]!;
    last = delta + gamma * lam * last;
    advantages[t] = last;
    returns[t] = last + values[t]!;
  }
  return { advantages, returns };
}

/** r_t = −β·(logp_t − ref_t), with `score` added at the last token. */
export function tokenRewards(logp: ArrayLike<number>, refLogp: ArrayLike<number>, score: number, beta: number): Float64Array {
  const T = logp.length, r = new Float64Array(T);
  for (let t = 0; t < T; t++) r[t] = 0 - beta * (logp[t]! - refLogp[t]!); // 0 - x: no negative zero when equal
  if (T > 0) r[T - 1]! += score;
  return r;
}
