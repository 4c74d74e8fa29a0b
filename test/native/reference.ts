// Plain float64 twins of every native layer forward (native/*.cpp), written from the PyTorch
// one-liners they implement, for forward comparisons and central-difference gradient checks.
// Shapes use the letters of src/native/addon.ts. Nothing here is fast; everything is obvious.

type Arr = ArrayLike<number>;

/** out[N,C] = table[ids[n], :] */
export function embeddingRef(ids: ArrayLike<number>, table: Arr, N: number, C: number): Float64Array {
  const out = new Float64Array(N * C);
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) out[n * C + c] = table[ids[n]! * C + c]!;
  return out;
}

/** HF LlamaRMSNorm: w * x / sqrt(mean(x^2) + eps), row-wise over C. */
export function rmsnormRef(x: Arr, w: Arr, N: number, C: number, eps: number): Float64Array {
  const out = new Float64Array(N * C);
  for (let n = 0; n < N; n++) {
    let ss = 0;
    for (let c = 0; c < C; c++) ss += x[n * C + c]! ** 2;
    const r = 1 / Math.sqrt(ss / C + eps);
    for (let c = 0; c < C; c++) out[n * C + c] = w[c]! * x[n * C + c]! * r;
  }
  return out;
}

/**
 * RoPE angles as transformers computes them (float32 inv_freq and pos * inv_freq, emulated with
 * Math.fround); cos/sin and the rotation itself in float64. Returns angle[i] for i < D/2.
 */
export function ropeAngles(pos: number, D: number, theta: number): Float64Array {
  const a = new Float64Array(D / 2);
  for (let i = 0; i < D / 2; i++) {
    const e = Math.fround(Math.fround(2 * i) / Math.fround(D));
    const invFreq = Math.fround(1 / Math.fround(Math.pow(Math.fround(theta), e)));
    a[i] = Math.fround(Math.fround(pos) * invFreq);
  }
  return a;
}

/** apply_rotary_pos_emb with rotate_half on x[N, nHeads, D]: q*cos + rotate_half(q)*sin. */
export function ropeRef(x: Arr, pos: ArrayLike<number>, N: number, nHeads: number, D: number, theta: number): Float64Array {
  const out = new Float64Array(N * nHeads * D);
  const half = D / 2;
  for (let n = 0; n < N; n++) {
    const ang = ropeAngles(pos[n]!, D, theta);
    for (let h = 0; h < nHeads; h++) {
      const o = (n * nHeads + h) * D;
      for (let i = 0; i < half; i++) {
        const c = Math.cos(ang[i]!), s = Math.sin(ang[i]!);
        const a = x[o + i]!, b = x[o + i + half]!;
        out[o + i] = a * c - b * s;
        out[o + i + half] = b * c + a * s;
      }
    }
  }
  return out;
}

/** silu(gate) * up, silu(g) = g / (1 + exp(-g)). */
export function swigluRef(gate: Arr, up: Arr, count: number): Float64Array {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = (gate[i]! / (1 + Math.exp(-gate[i]!))) * up[i]!;
  return out;
}

/** Shape and masks of one attention call (see NativeAddon.attentionForward). */
export interface AttnShape {
  B: number; T: number; S: number; pos0: number; H: number; KH: number; D: number;
  keyStart?: ArrayLike<number> | null; segIds?: ArrayLike<number> | null;
}

/**
 * Causal GQA attention, llama.py style: repeat_kv, scores = q k^T / sqrt(D), masked keys removed,
 * softmax, out = p v. q[B,T,H,D]; k,v[B,S,KH,D]. Returns out[B,T,H,D], probs[B,H,T,S] (0 where
 * masked) and lse[B,H,T] (log-sum-exp of the scaled visible scores; a query with no visible key
 * gets out = 0 and lse = -Infinity).
 */
export function attentionRef(q: Arr, k: Arr, v: Arr, s: AttnShape): { out: Float64Array; probs: Float64Array; lse: Float64Array } {
  const { B, T, S, pos0, H, KH, D } = s;
  const out = new Float64Array(B * T * H * D);
  const probs = new Float64Array(B * H * T * S);
  const lse = new Float64Array(B * H * T).fill(-Infinity);
  const scale = 1 / Math.sqrt(D);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++) {
      const kh = Math.floor(h / (H / KH));
      for (let t = 0; t < T; t++) {
        const qpos = pos0 + t;
        const visible: number[] = [];
        for (let j = s.keyStart ? s.keyStart[b]! : 0; j <= qpos; j++)
          if (!s.segIds || s.segIds[b * S + j] === s.segIds[b * S + qpos]) visible.push(j);
        if (visible.length === 0) continue;
        const sc = visible.map((j) => {
          let d = 0;
          for (let i = 0; i < D; i++) d += q[((b * T + t) * H + h) * D + i]! * k[((b * S + j) * KH + kh) * D + i]!;
          return d * scale;
        });
        let m = -Infinity;
        for (const x of sc) m = Math.max(m, x);
        const e = sc.map((x) => Math.exp(x - m));
        const z = e.reduce((a, x) => a + x, 0);
        lse[(b * H + h) * T + t] = m + Math.log(z);
        visible.forEach((j, idx) => {
          const p = e[idx]! / z;
          probs[((b * H + h) * T + t) * S + j] = p;
          for (let i = 0; i < D; i++) out[((b * T + t) * H + h) * D + i] += p * v[((b * S + j) * KH + kh) * D + i]!;
        });
      }
    }
  return { out, probs, lse };
}

/**
 * Analytic backward of attentionRef in float64 for the training case (pos0 = 0, S = T), from its
 * probabilities: dv_j = sum_t p_tj dout_t, dp_tj = dout_t . v_j, ds_tj = p_tj (dp_tj - sum_j p dp),
 * dq_t = scale sum_j ds_tj k_j, dk_j = scale sum_t ds_tj q_t (GQA: summed over the group's heads).
 * Checked against central differences at small sizes, then used where those are too slow.
 */
export function attentionBackwardRef(q: Arr, k: Arr, v: Arr, dout: Arr, s: AttnShape): { dq: Float64Array; dk: Float64Array; dv: Float64Array } {
  const { B, T, H, KH, D } = s;
  const { probs } = attentionRef(q, k, v, s);
  const dq = new Float64Array(B * T * H * D), dk = new Float64Array(B * T * KH * D), dv = new Float64Array(B * T * KH * D);
  const scale = 1 / Math.sqrt(D);
  const dp = new Float64Array(T);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++) {
      const kh = Math.floor(h / (H / KH));
      for (let t = 0; t < T; t++) {
        const P = ((b * H + h) * T + t) * T, qo = ((b * T + t) * H + h) * D;
        let pdp = 0;
        for (let j = 0; j <= t; j++) {
          const p = probs[P + j]!;
          if (p === 0) { dp[j] = 0; continue; }
          const ko = ((b * T + j) * KH + kh) * D;
          let d = 0;
          for (let i = 0; i < D; i++) { d += dout[qo + i]! * v[ko + i]!; dv[ko + i] += p * dout[qo + i]!; }
          dp[j] = d;
          pdp += p * d;
        }
        for (let j = 0; j <= t; j++) {
          const p = probs[P + j]!;
          if (p === 0) continue;
          const ds = p * (dp[j]! - pdp) * scale, ko = ((b * T + j) * KH + kh) * D;
          for (let i = 0; i < D; i++) { dq[qo + i] += ds * k[ko + i]!; dk[ko + i] += ds * q[qo + i]!; }
        }
      }
    }
  return { dq, dk, dv };
}

/** log_softmax row-wise over V. */
export function logSoftmaxRef(logits: Arr, N: number, V: number): Float64Array {
  const out = new Float64Array(N * V);
  for (let n = 0; n < N; n++) {
    let m = -Infinity;
    for (let i = 0; i < V; i++) m = Math.max(m, logits[n * V + i]!);
    let z = 0;
    for (let i = 0; i < V; i++) z += Math.exp(logits[n * V + i]! - m);
    const lse = m + Math.log(z);
    for (let i = 0; i < V; i++) out[n * V + i] = logits[n * V + i]! - lse;
  }
  return out;
}

/** Per-row -log_softmax(logits)[target], 0 for target -100 (F.cross_entropy reduction="none"). */
export function crossEntropyRef(logits: Arr, targets: ArrayLike<number>, N: number, V: number): Float64Array {
  const lp = logSoftmaxRef(logits, N, V);
  const out = new Float64Array(N);
  for (let n = 0; n < N; n++) out[n] = targets[n] === -100 ? 0 : -lp[n * V + targets[n]!]!;
  return out;
}
