// Differentiable matmul over src/kernels/matmul.ts, with the fused epilogue (bias, GELU,
// residual). The backward needs no kernel of its own: dA and dB are matmuls with transposed
// operands, the GELU's backward reads the saved pre-activation, the bias gradient is a column sum.
//
// Float types: the output is stored in a's type (the activation of a linear layer; an f32 weight
// is read as it is), and each gradient in its own tensor's type, so with f16 activations dX is
// f16 while dW and the bias gradient stay f32 (accumulated in f32, rounded never).
import type { Tensor } from '../gpu/tensor.ts';
import type { FloatDType } from '../gpu/dtype.ts';
import { geluBackward } from '../kernels/gelu.ts';
import { matmul as matmulRaw, sumRows } from '../kernels/matmul.ts';
import { unbroadcast } from './shape.ts';
import { record, recording } from './tape.ts';

export type Activation = 'gelu' | 'gelu_tanh';

export interface MatmulOptions {
  /** a is (..., K, M) and is used transposed. */
  transA?: boolean;
  /** b is (..., N, K) and is used transposed (a torch/HF Linear weight). */
  transB?: boolean;
  /** (N), added to every row. */
  bias?: Tensor;
  /** Applied after the bias. */
  activation?: Activation;
  /** Same shape as the output, added last: out = act(a @ b + bias) + residual. */
  residual?: Tensor;
}

/** out = act(op(a) @ op(b) + bias) + residual, batch dimensions broadcast. */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor<FloatDType> {
  const { transA = false, transB = false, bias, activation, residual } = options;
  const inputs = [a, b, bias, residual];
  const launch = { transA, transB, bias, activation, residual, outDType: floatOf(a) };
  // The backward of a fused activation needs its input: the kernel writes it out as well.
  const keepPre = activation !== undefined && recording(...inputs);
  let out: Tensor<FloatDType>;
  let pre: Tensor<FloatDType> | null = null;
  if (keepPre) ({ out, pre } = matmulRaw(a, b, { ...launch, savePreActivation: true }));
  else out = matmulRaw(a, b, launch);
  return record('matmul', inputs, out, ({ needs, save, own }) => {
    const sa = needs[1] ? save(a) : null; // dB reads a
    const sb = needs[0] ? save(b) : null; // dA reads b
    const sp = pre ? own(pre) : null;
    return (dy) => {
      // dz: the gradient of z = op(a) @ op(b) + bias, before the activation.
      const dz = sp ? geluBackward(dy, sp, activation === 'gelu_tanh' ? 'tanh' : 'none') : dy;
      return [
        needs[0] ? gradA(dz, sb!, a.shape, floatOf(a), transA, transB) : null,
        needs[1] ? gradB(dz, sa!, b.shape, floatOf(b), transA, transB) : null,
        needs[2] ? sumRows(dz) : null,
        needs[3] ? dy : null,
      ];
    };
  });
}

/** x @ weight^T + bias with weight (out, in) as torch stores it, so HF checkpoints load untransposed. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor, options: { activation?: Activation; residual?: Tensor } = {}): Tensor<FloatDType> {
  return matmul(x, weight, { transB: true, bias, ...options });
}

// With z = op(a) @ op(b): d op(a) = dz @ op(b)^T and d op(b) = op(a)^T @ dz, each transposed back
// when the operand was used transposed. Batch dimensions that were broadcast are summed.
/** The float type an operand's gradient (and a's product) is stored in. */
function floatOf(t: Tensor): FloatDType {
  return t.dtype === 'f16' ? 'f16' : 'f32';
}

function gradA(dz: Tensor, b: Tensor, aShape: readonly number[], aType: FloatDType, transA: boolean, transB: boolean): Tensor {
  const g = transA
    ? matmulRaw(b, dz, { transA: transB, transB: true, outDType: aType }) //   (K, M) = op(b) @ dz^T
    : matmulRaw(dz, b, { transB: !transB, outDType: aType }); //                (M, K) = dz @ op(b)^T
  return unbroadcast(g, aShape);
}

function gradB(dz: Tensor, a: Tensor, bShape: readonly number[], outDType: FloatDType, transA: boolean, transB: boolean): Tensor {
  if (bShape.length === 2 && a.rank > 2 && !transA) {
    // A weight shared by every batch row: fold the batch into the rows, one matmul straight to b's shape.
    const a2 = a.reshape([-1, a.shape[a.rank - 1]]);
    const dz2 = dz.reshape([-1, dz.shape[dz.rank - 1]]);
    return transB ? matmulRaw(dz2, a2, { transA: true, outDType }) : matmulRaw(a2, dz2, { transA: true, outDType });
  }
  const g = transB
    ? matmulRaw(dz, a, { transA: true, transB: transA, outDType }) //    (N, K) = dz^T @ op(a)
    : matmulRaw(a, dz, { transA: !transA, outDType }); //                (K, N) = op(a)^T @ dz
  return unbroadcast(g, bShape);
}
