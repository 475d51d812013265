// adam.wgsl — one Adam / AdamW step for every element i of a parameter, in place:
//   θ ← θ · param_scale;  g ← grad[i] + grad_decay · θ
//   m ← β1 m + (1 − β1) g;  v ← β2 v + (1 − β2) g²;  amsgrad: v̂ ← max(v̂, v), else v̂ = v
//   θ ← θ − step_size · m / (√v̂ / bias_correction2_sqrt + eps)
// The host computes per step t: step_size = lr / (1 − β1ᵗ), bias_correction2_sqrt = √(1 − β2ᵗ);
// AdamW's decoupled decay is param_scale = 1 − lr·λ (grad_decay 0), Adam's coupled one grad_decay = λ
// (param_scale 1).
// Layout: θ, m (exp_avg), v (exp_avg_sq), v̂ (max_exp_avg_sq) contiguous from 0; the gradient is a
// strided view. Entry point and grid: see optimizer.wgsl.
// Specialisation: {{SECOND_MOMENT}} is `v`, or `running_max(i, v)` for amsgrad: only that variant
// uses (and binds) max_exp_avg_sq.
struct Params {
  grad: GradView,
  beta1: f32,
  beta2: f32,
  eps: f32,
  step_size: f32,
  bias_correction2_sqrt: f32,
  grad_decay: f32,
  param_scale: f32,
  pad: f32,
}

@group(0) @binding(0) var<uniform> params: Params;

#include "optimizer.wgsl"

@group(0) @binding(3) var<storage, read_write> exp_avg: array<f32>;
@group(0) @binding(4) var<storage, read_write> exp_avg_sq: array<f32>;
@group(0) @binding(5) var<storage, read_write> max_exp_avg_sq: array<f32>;

fn running_max(i: u32, v: f32) -> f32 {
  let v_max = max(max_exp_avg_sq[i], v);
  max_exp_avg_sq[i] = v_max;
  return v_max;
}

fn element(i: u32) {
  let theta = param[i] * params.param_scale;
  let g = grad_at(i) + params.grad_decay * theta;
  let m = params.beta1 * exp_avg[i] + (1.0 - params.beta1) * g;
  let v = params.beta2 * exp_avg_sq[i] + (1.0 - params.beta2) * g * g;
  exp_avg[i] = m;
  exp_avg_sq[i] = v;
  let v_hat = {{SECOND_MOMENT}};
  param[i] = theta - params.step_size * m / (sqrt(v_hat) / params.bias_correction2_sqrt + params.eps);
}
