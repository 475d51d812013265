// sgd.wgsl — one SGD step for every element i of a parameter, in place:
//   g ← grad[i] + λθ
//   with momentum μ: b ← g on the first step, else μ b + (1 − dampening) g;  g ← g + μ b (nesterov) or b
//   θ ← θ − lr · g
// Layout: θ and the momentum buffer b contiguous from 0; the gradient is a strided view.
// Entry point and grid: see optimizer.wgsl.
// Specialisation: {{DIRECTION}} is `g`, or `with_momentum(i, g)`: only that variant uses (and binds)
// momentum_buffer.
struct Params {
  grad: GradView,
  lr: f32,
  momentum: f32,
  dampening: f32,
  weight_decay: f32,
  first_step: u32,
  nesterov: u32,
  pad: vec2<u32>,
}

@group(0) @binding(0) var<uniform> params: Params;

#include "optimizer.wgsl"

@group(0) @binding(3) var<storage, read_write> momentum_buffer: array<f32>;

fn with_momentum(i: u32, g: f32) -> f32 {
  var b = g;
  if (params.first_step == 0u) { b = params.momentum * momentum_buffer[i] + (1.0 - params.dampening) * g; }
  momentum_buffer[i] = b;
  if (params.nesterov != 0u) { return g + params.momentum * b; }
  return b;
}

fn element(i: u32) {
  let theta = param[i];
  let g = grad_at(i) + params.weight_decay * theta;
  param[i] = theta - params.lr * {{DIRECTION}};
}
