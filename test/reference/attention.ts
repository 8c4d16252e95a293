// Float64 reference for shaders/attention_kernels.wgsl: plain softmax(q k^T * scale + mask) v per
// head, materialising every score, with attention-probs dropout drawn from the reference Philox.
// Conventions shared with the kernels: q, k, v, out (B, S, H * D); mask (B, S) additive with
// values <= -1e30 meaning -Infinity; a row with every key masked gives out = 0, lse = -Infinity.
import { attentionKeepRef } from './dropout.ts';

export interface AttentionRefOptions {
  B: number;
  S: number;
  H: number;
  D: number;
  scale?: number;
  mask?: ArrayLike<number>;
  dropout?: { rate: number; seed: number };
}

interface Head {
  P: Float64Array; // (S, S) softmax probabilities
  Z: Float64Array; // (S, S) dropout factors keep / (1 - rate), or 1
  lse: Float64Array; // (S)
}

const at = (o: AttentionRefOptions, b: number, i: number, h: number, d: number) => ((b * o.S + i) * o.H + h) * o.D + d;

function head(q: ArrayLike<number>, k: ArrayLike<number>, o: AttentionRefOptions, b: number, h: number): Head {
  const { S, D } = o;
  const scale = o.scale ?? 1 / Math.sqrt(D);
  const P = new Float64Array(S * S);
  const Z = new Float64Array(S * S).fill(1);
  const lse = new Float64Array(S);
  for (let i = 0; i < S; i++) {
    let max = -Infinity;
    for (let j = 0; j < S; j++) {
      let s = 0;
      for (let d = 0; d < D; d++) s += q[at(o, b, i, h, d)] * k[at(o, b, j, h, d)];
      let m = o.mask ? o.mask[b * S + j] : 0;
      if (m <= -1e30) m = -Infinity;
      s = s * scale + m;
      P[i * S + j] = s;
      if (s > max || Number.isNaN(s)) max = Number.isNaN(max) ? max : s;
    }
    if (max === -Infinity) {
      P.fill(0, i * S, (i + 1) * S);
      lse[i] = -Infinity;
      continue;
    }
    let l = 0;
    for (let j = 0; j < S; j++) l += P[i * S + j] = Math.exp(P[i * S + j] - max);
    for (let j = 0; j < S; j++) P[i * S + j] /= l;
    lse[i] = max + Math.log(l);
  }
  if (o.dropout && o.dropout.rate > 0) {
    const { rate, seed } = o.dropout;
    for (let i = 0; i < S; i++) {
      for (let j = 0; j < S; j++) Z[i * S + j] = attentionKeepRef(seed, rate, b, h, o.H, i, j) ? 1 / (1 - rate) : 0;
    }
  }
  return { P, Z, lse };
}

export function attentionRef(q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>, o: AttentionRefOptions): { out: Float64Array; lse: Float64Array } {
  const { B, S, H, D } = o;
  const out = new Float64Array(B * S * H * D);
  const lse = new Float64Array(B * H * S);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const { P, Z, lse: l } = head(q, k, o, b, h);
      lse.set(l, (b * H + h) * S);
      for (let i = 0; i < S; i++) {
        for (let d = 0; d < D; d++) {
          let acc = 0;
          for (let j = 0; j < S; j++) acc += P[i * S + j] * Z[i * S + j] * v[at(o, b, j, h, d)];
          out[at(o, b, i, h, d)] = acc;
        }
      }
    }
  }
  return { out, lse };
}

/** dq, dk, dv of sum(dOut * attention(q, k, v)), by the chain rule through the materialised softmax. */
/**
 * `out`, when given, is the forward output the kernel stored (f16-rounded, say): delta_i is then
 * dOut_i . out_i as the kernels compute it, instead of sum_j P_ij dP_ij (equal for an exact out).
 */
export function attentionBackwardRef(q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>, dOut: ArrayLike<number>, o: AttentionRefOptions, out?: ArrayLike<number>): { dq: Float64Array; dk: Float64Array; dv: Float64Array } {
  const { B, S, H, D } = o;
  const scale = o.scale ?? 1 / Math.sqrt(D);
  const n = B * S * H * D;
  const dq = new Float64Array(n);
  const dk = new Float64Array(n);
  const dv = new Float64Array(n);
  const dS = new Float64Array(S * S);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const { P, Z } = head(q, k, o, b, h);
      for (let i = 0; i < S; i++) {
        // dP_ij = Z_ij (dOut_i . v_j); dS_ij = P_ij (dP_ij - sum_l P_il dP_il)
        let delta = 0;
        for (let j = 0; j < S; j++) {
          let dp = 0;
          for (let d = 0; d < D; d++) dp += dOut[at(o, b, i, h, d)] * v[at(o, b, j, h, d)];
          dS[i * S + j] = dp * Z[i * S + j];
          delta += P[i * S + j] * dS[i * S + j];
        }
        if (out) {
          delta = 0;
          for (let d = 0; d < D; d++) delta += dOut[at(o, b, i, h, d)] * out[at(o, b, i, h, d)];
        }
        for (let j = 0; j < S; j++) dS[i * S + j] = P[i * S + j] * (dS[i * S + j] - delta);
      }
      for (let i = 0; i < S; i++) {
        for (let d = 0; d < D; d++) {
          let gq = 0;
          let gk = 0;
          let gv = 0;
          for (let j = 0; j < S; j++) {
            gq += dS[i * S + j] * k[at(o, b, j, h, d)];
            gk += dS[j * S + i] * q[at(o, b, j, h, d)];
            gv += P[j * S + i] * Z[j * S + i] * dOut[at(o, b, j, h, d)];
          }
          dq[at(o, b, i, h, d)] = gq * scale;
          dk[at(o, b, i, h, d)] = gk * scale;
          dv[at(o, b, i, h, d)] = gv;
        }
      }
    }
  }
  return { dq, dk, dv };
}
