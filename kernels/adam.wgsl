// adam.wgsl — one Adam / AdamW step for every element of the launch's tensors, in place:
//   θ ← θ · param_scale;  g ← grad + grad_decay · θ
//   m ← β1 m + (1 − β1) g;  v ← β2 v + (1 − β2) g²;  amsgrad: v̂ ← max(v̂, v), else v̂ = v
//   θ ← θ − step_size · m / (√v̂ / bias_correction2_sqrt + eps)
// The host computes in float64, then rounds to f32 as PyTorch's scalars are: 1 − β1 and 1 − β2 (in f32
// from a rounded β they would be off by up to 1e-4 relative), and per step t step_size = lr / (1 − β1ᵗ),
// bias_correction2_sqrt = √(1 − β2ᵗ);
// AdamW's decoupled decay is param_scale = 1 − lr·λ (grad_decay 0), Adam's coupled one grad_decay = λ
// (param_scale 1).
// Layout and grid: see optimizer.wgsl; a tensor's operands are θ, m (exp_avg), v (exp_avg_sq) and,
// for amsgrad, v̂ (max_exp_avg_sq).
// Specialisation: override AMSGRAD; only then does the host bind, load and store v̂.
override AMSGRAD: bool;

struct Hyper {
  beta1: f32,
  one_minus_beta1: f32,
  beta2: f32,
  one_minus_beta2: f32,
  eps: f32,
  step_size: f32,
  bias_correction2_sqrt: f32,
  grad_decay: f32,
  param_scale: f32,
  pad0: f32,
  pad1: f32,
  pad2: f32,
}

struct Element {
  theta: f32,
  grad: f32,
  m: f32,
  v: f32,
  v_max: f32,
}

fn update(x: Element) -> Element {
  let h = params.hyper;
  var y = x;
  let theta = x.theta * h.param_scale;
  let g = x.grad + h.grad_decay * theta;
  y.m = h.beta1 * x.m + h.one_minus_beta1 * g;
  y.v = h.beta2 * x.v + h.one_minus_beta2 * g * g;
  var v_hat = y.v;
  if (AMSGRAD) {
    y.v_max = max(x.v_max, y.v);
    v_hat = y.v_max;
  }
  y.theta = theta - h.step_size * y.m / (sqrt(v_hat) / h.bias_correction2_sqrt + h.eps);
  return y;
}

#include "optimizer.wgsl"
