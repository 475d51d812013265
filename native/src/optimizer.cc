// Adam(W) and SGD with PyTorch's update rules (as the reference backend and kernels/adam.wgsl,
// kernels/sgd.wgsl), in place; each element's arithmetic is done in double and stored as float.
#include "optimizer.h"

#include <cmath>

#include "simd.h"

namespace webgrad {
namespace {

// Calls fn(i, g) for every element: i its contiguous index (param/state), g its gradient.
template <class Fn>
void each_element(Span grad, const View& gv, Fn&& fn) {
  const View* views[1] = {&gv};
  const StridedLoop<1> loop = make_loop(gv.shape, gv.rank, views);
  const float* g = grad.data;
  parallel(loop.size, kGrainHeavy, [&](int64_t begin, int64_t end) {
    for_each_run(loop, begin, end, [&](int64_t pos, int64_t len, const int64_t* off, const int64_t* step) {
      const float* gj = g + off[0];
      if (step[0] == 1) simd_for(len, [&](int64_t j) { fn(pos + j, static_cast<double>(gj[j])); });
      else for (int64_t j = 0; j < len; j++) fn(pos + j, static_cast<double>(gj[j * step[0]]));
    });
  });
}

}  // namespace

void adam_step(Span param, Span grad, const View& gv, Span exp_avg, Span exp_avg_sq, const Span* max_exp_avg_sq, const AdamHyper& h) {
  const int64_t n = numel(gv);
  check_view(gv, grad, "adamStep gradient");
  check_length(param, n, "adamStep parameter");
  check_length(exp_avg, n, "adamStep expAvg");
  check_length(exp_avg_sq, n, "adamStep expAvgSq");
  if (max_exp_avg_sq) check_length(*max_exp_avg_sq, n, "adamStep maxExpAvgSq");
  float *p = param.data, *m = exp_avg.data, *v = exp_avg_sq.data, *vmax = max_exp_avg_sq ? max_exp_avg_sq->data : nullptr;
  // Double division and square root bound this loop (4 lanes, ~10 cycles each): one division by the
  // bias correction becomes a product (it differs from the quotient by an ulp of a double, far below float's).
  const double inv_bias_correction2_sqrt = 1 / h.bias_correction2_sqrt;
  each_element(grad, gv, [&](int64_t i, double g) {
    const double theta = p[i] * h.param_scale;
    g += h.grad_decay * theta;
    const double mi = h.beta1 * m[i] + (1 - h.beta1) * g;
    const double vi = h.beta2 * v[i] + (1 - h.beta2) * g * g;
    double denom_v = vi;
    if (vmax) {
      const double top = vmax[i] > vi || vmax[i] != vmax[i] ? static_cast<double>(vmax[i]) : vi;  // Math.max: NaN wins
      vmax[i] = static_cast<float>(top);
      denom_v = top;
    }
    m[i] = static_cast<float>(mi);
    v[i] = static_cast<float>(vi);
    p[i] = static_cast<float>(theta - h.step_size * mi / (std::sqrt(denom_v) * inv_bias_correction2_sqrt + h.eps));
  });
}

void sgd_step(Span param, Span grad, const View& gv, const Span* momentum_buffer, const SgdHyper& h) {
  const int64_t n = numel(gv);
  check_view(gv, grad, "sgdStep gradient");
  check_length(param, n, "sgdStep parameter");
  if (momentum_buffer) check_length(*momentum_buffer, n, "sgdStep momentumBuffer");
  float *p = param.data, *b = momentum_buffer ? momentum_buffer->data : nullptr;
  each_element(grad, gv, [&](int64_t i, double g) {
    g += h.weight_decay * p[i];
    if (b) {
      const double bi = h.first_step ? g : h.momentum * b[i] + (1 - h.dampening) * g;
      b[i] = static_cast<float>(bi);
      g = h.nesterov ? g + h.momentum * bi : bi;
    }
    p[i] = static_cast<float>(p[i] - h.lr * g);
  });
}

}  // namespace webgrad
