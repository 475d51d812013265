// sgd.wgsl — one SGD step for every element of the launch's tensors, in place:
//   g ← grad + λθ
//   with momentum μ: b ← g on the first step, else μ b + (1 − dampening) g;  g ← g + μ b (nesterov) or b
//   θ ← θ − lr · g
// The host computes 1 − dampening in float64.
// Layout and grid: see optimizer.wgsl; a tensor's operands are θ and, with momentum, its buffer b.
// Specialisation: override MOMENTUM; only then does the host bind, load and store b.
override MOMENTUM: bool;

struct Hyper {
  lr: f32,
  momentum: f32,
  one_minus_dampening: f32,
  weight_decay: f32,
  first_step: u32,
  nesterov: u32,
  pad0: u32,
  pad1: u32,
}

struct Element {
  theta: f32,
  grad: f32,
  b: f32,
}

fn update(x: Element) -> Element {
  let h = params.hyper;
  var y = x;
  var g = x.grad + h.weight_decay * x.theta;
  if (MOMENTUM) {
    y.b = g;
    if (h.first_step == 0u) { y.b = h.momentum * x.b + h.one_minus_dampening * g; }
    if (h.nesterov != 0u) { g += h.momentum * y.b; } else { g = y.b; }
  }
  y.theta = x.theta - h.lr * g;
  return y;
}

#include "optimizer.wgsl"
