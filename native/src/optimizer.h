// In-place Adam(W) and SGD updates of one parameter (the Backend's adamStep / sgdStep call them per tensor).
#pragma once
#include "view.h"

namespace webgrad {

/** The host-computed constants of one Adam step (src/backend/backend.ts AdamHyper). */
struct AdamHyper {
  double beta1, beta2, eps, step_size, bias_correction2_sqrt, grad_decay, param_scale;
};
struct SgdHyper {
  double lr, momentum, dampening, weight_decay;
  bool nesterov, first_step;
};

/** param and the state are contiguous with the gradient view's element count; max_exp_avg_sq may be null (no amsgrad). */
void adam_step(Span param, Span grad, const View& gv, Span exp_avg, Span exp_avg_sq, const Span* max_exp_avg_sq, const AdamHyper& h);
/** momentum_buffer may be null (no momentum). */
void sgd_step(Span param, Span grad, const View& gv, const Span* momentum_buffer, const SgdHyper& h);

}  // namespace webgrad
