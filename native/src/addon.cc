// Node-API bindings only: unpack arguments, call the kernels.
//
// Storages are Float32Arrays allocated by the TypeScript side. Their ArrayBuffers live outside the
// JS heap and never move, and Node-API hands us the pointer without a copy, so tensors stay in
// native memory between ops and read() is one slice() in JS (no call into C++). We chose them over
// Externals wrapping malloc'd memory because the GC already owns their lifetime (no finalizers, V8
// counts them as external memory and collects under pressure) and the TS side can pool them by length.
//
// Every call's numbers (op codes, scalars, layouts) are read from one Float64Array registered once
// with init(): the TS side writes it and calls, so a call allocates nothing and crosses Node-API
// only for its storages. A view is written as [rank, offset, shape…, strides…].
//
// Any C++ exception (the checks in view.h, a bad argument) becomes a JS Error (NAPI_CPP_EXCEPTIONS
// with NODE_ADDON_API_CPP_EXCEPTIONS_ALL); no input reaches memory outside its buffer.
#include <napi.h>

#include <cmath>

#include "conv.h"
#include "elementwise.h"
#include "gemm.h"
#include "indexing.h"
#include "optimizer.h"
#include "reduce.h"
#include "simd.h"
#include "stderr_capture.h"
#include "thread_pool.h"

namespace webgrad {
namespace {

/** Reads one call's numbers from the registered parameter block, checked against its end. */
class Params {
 public:
  Params(const double* data, size_t length) : p_(data), end_(data + length) {
    if (!data) fail("call init(scratch) before any kernel");
  }
  double f64() {
    if (p_ >= end_) fail("parameter block overrun");
    return *p_++;
  }
  int64_t i64() {
    const double d = f64();
    if (!(std::fabs(d) <= 9007199254740992.0) || d != std::floor(d)) fail("expected an integer parameter, got " + std::to_string(d));
    return static_cast<int64_t>(d);
  }
  View view() {
    View v;
    const int64_t rank = i64();
    if (rank < 0 || rank > kMaxRank) fail("rank " + std::to_string(rank) + " (the native backend supports up to " + std::to_string(kMaxRank) + ")");
    v.rank = static_cast<int>(rank);
    v.offset = i64();
    for (int d = 0; d < v.rank; d++) {
      v.shape[d] = i64();
      if (v.shape[d] < 0) fail("negative size in a shape");
    }
    for (int d = 0; d < v.rank; d++) v.strides[d] = i64();
    return v;
  }

 private:
  const double* p_;
  const double* end_;
};

Span span(const Napi::CallbackInfo& info, size_t i, const char* what) {
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (i >= info.Length() || napi_get_typedarray_info(info.Env(), info[i], &type, &length, &data, nullptr, nullptr) != napi_ok ||
      type != napi_float32_array) {
    fail(std::string(what) + " must be a Float32Array");
  }
  return {static_cast<float*>(data), static_cast<int64_t>(length)};
}

/** The elements of `s` from `offset` on (an optimizer's parameter or state slice). */
Span slice(Span s, int64_t offset, const char* what) {
  if (offset < 0 || offset > s.length) fail(std::string(what) + " offset " + std::to_string(offset) + " is outside its buffer of " + std::to_string(s.length));
  return {s.data + offset, s.length - offset};
}

bool is_null(const Napi::CallbackInfo& info, size_t i) { return i >= info.Length() || info[i].IsNull() || info[i].IsUndefined(); }

template <class Op>
Op op_code(int64_t code, const char* what) {
  if (code < 0 || code >= static_cast<int64_t>(Op::Count)) fail(std::string("unknown ") + what + " op code " + std::to_string(code));
  return static_cast<Op>(code);
}

template <size_t N>
Napi::Array names(Napi::Env env, const char* const (&list)[N]) {
  Napi::Array a = Napi::Array::New(env, N);
  for (size_t i = 0; i < N; i++) a.Set(static_cast<uint32_t>(i), list[i]);
  return a;
}

const char* simd() {
#if (defined(__x86_64__) || defined(_M_X64)) && (defined(__GNUC__) || defined(__clang__))
  return has_avx2_fma() ? "AVX2+FMA" : "SSE2";  // the check that picks the GEMM kernel and simd_for's loops
#elif defined(__x86_64__) || defined(_M_X64)
  return "x86-64";
#elif defined(__aarch64__) || defined(_M_ARM64)
  return "NEON";
#else
  return "portable";
#endif
}

class WebgradAddon : public Napi::Addon<WebgradAddon> {
 public:
  WebgradAddon(Napi::Env env, Napi::Object exports) {
    static_assert(sizeof(kUnaryOpNames) / sizeof(*kUnaryOpNames) == static_cast<size_t>(UnaryOp::Count));
    static_assert(sizeof(kBinaryOpNames) / sizeof(*kBinaryOpNames) == static_cast<size_t>(BinaryOp::Count));
    static_assert(sizeof(kReduceOpNames) / sizeof(*kReduceOpNames) == static_cast<size_t>(ReduceOp::Count));
    DefineAddon(exports, {
                             InstanceValue("unaryOps", names(env, kUnaryOpNames), napi_enumerable),
                             InstanceValue("binaryOps", names(env, kBinaryOpNames), napi_enumerable),
                             InstanceValue("reduceOps", names(env, kReduceOpNames), napi_enumerable),
                             InstanceValue("maxRank", Napi::Number::New(env, kMaxRank), napi_enumerable),
                             InstanceMethod("init", &WebgradAddon::InitParams),
                             InstanceMethod("simd", &WebgradAddon::Simd),
                             InstanceMethod("threads", &WebgradAddon::Threads),
                             InstanceMethod("setThreads", &WebgradAddon::SetThreads),
                             InstanceMethod("fill", &WebgradAddon::Fill),
                             InstanceMethod("unary", &WebgradAddon::Unary),
                             InstanceMethod("binary", &WebgradAddon::Binary),
                             InstanceMethod("reduce", &WebgradAddon::Reduce),
                             InstanceMethod("softmax", &WebgradAddon::Softmax),
                             InstanceMethod("softmaxBackward", &WebgradAddon::SoftmaxBackward),
                             InstanceMethod("matmul", &WebgradAddon::Matmul),
                             InstanceMethod("copy", &WebgradAddon::Copy),
                             InstanceMethod("gather", &WebgradAddon::Gather),
                             InstanceMethod("scatterAdd", &WebgradAddon::ScatterAdd),
                             InstanceMethod("conv2d", &WebgradAddon::Conv2d),
                             InstanceMethod("conv2dInputGrad", &WebgradAddon::Conv2dInputGrad),
                             InstanceMethod("conv2dWeightGrad", &WebgradAddon::Conv2dWeightGrad),
                             InstanceMethod("maxPool2dIndices", &WebgradAddon::MaxPool2dIndices),
                             InstanceMethod("adamStep", &WebgradAddon::AdamStep),
                             InstanceMethod("sgdStep", &WebgradAddon::SgdStep),
                             InstanceMethod("captureStderr", &WebgradAddon::CaptureStderrFn),
                             InstanceMethod("releaseStderr", &WebgradAddon::ReleaseStderrFn),
                         });
  }

 private:
  Params params() const { return Params(scratch_, scratch_length_); }

  Napi::Value CaptureStderrFn(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), CaptureStderr()); }
  Napi::Value ReleaseStderrFn(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), ReleaseStderr()); }

  // init(scratch: Float64Array): registers the parameter block (kept alive by a strong reference).
  Napi::Value InitParams(const Napi::CallbackInfo& info) {
    if (info.Length() < 1 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
      fail("init expects a Float64Array");
    }
    auto block = info[0].As<Napi::Float64Array>();
    scratch_ref_ = Napi::Persistent(block);
    scratch_ = block.Data();
    scratch_length_ = block.ElementLength();
    return info.Env().Undefined();
  }
  Napi::Value Simd(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), simd()); }
  Napi::Value Threads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), default_pool().size()); }
  // setThreads(n): resizes the pool; 0 means the machine's hardware threads.
  Napi::Value SetThreads(const Napi::CallbackInfo& info) {
    const int64_t n = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int64Value() : -1;
    if (n < 0 || n > 1024) fail("setThreads expects a thread count in 0..1024 (0: hardware threads)");
    set_thread_count(static_cast<int>(n));
    return info.Env().Undefined();
  }
  // fill(out, value)
  Napi::Value Fill(const Napi::CallbackInfo& info) {
    if (info.Length() < 2 || !info[1].IsNumber()) fail("fill expects (out, value)");
    fill(span(info, 0, "fill output"), info[1].As<Napi::Number>().FloatValue());
    return info.Env().Undefined();
  }
  // unary(x, out); params: op, alpha, view(x)
  Napi::Value Unary(const Napi::CallbackInfo& info) {
    Params p = params();
    const UnaryOp op = op_code<UnaryOp>(p.i64(), "unary");
    const double alpha = p.f64();
    const View xv = p.view();
    unary(op, alpha, span(info, 0, "unary input"), xv, span(info, 1, "unary output"));
    return info.Env().Undefined();
  }
  // binary(a, b, out); params: op, view(a), view(b)
  Napi::Value Binary(const Napi::CallbackInfo& info) {
    Params p = params();
    const BinaryOp op = op_code<BinaryOp>(p.i64(), "binary");
    const View av = p.view(), bv = p.view();
    binary(op, span(info, 0, "binary input a"), av, span(info, 1, "binary input b"), bv, span(info, 2, "binary output"));
    return info.Env().Undefined();
  }
  // reduce(x, out); params: op, offset, outer, size, inner
  Napi::Value Reduce(const Napi::CallbackInfo& info) {
    Params p = params();
    const ReduceOp op = op_code<ReduceOp>(p.i64(), "reduce");
    const AxisView v{p.i64(), p.i64(), p.i64(), p.i64()};
    reduce(op, span(info, 0, "reduce input"), v, span(info, 1, "reduce output"));
    return info.Env().Undefined();
  }
  // softmax(x, out); params: log (0/1), offset, outer, size, inner
  Napi::Value Softmax(const Napi::CallbackInfo& info) {
    Params p = params();
    const bool log = p.i64() != 0;
    const AxisView v{p.i64(), p.i64(), p.i64(), p.i64()};
    softmax(span(info, 0, "softmax input"), v, log, span(info, 1, "softmax output"));
    return info.Env().Undefined();
  }
  // softmaxBackward(y, g, out); params: log (0/1), g offset, then y's offset, outer, size, inner
  Napi::Value SoftmaxBackward(const Napi::CallbackInfo& info) {
    Params p = params();
    const bool log = p.i64() != 0;
    const int64_t g_offset = p.i64();
    const AxisView v{p.i64(), p.i64(), p.i64(), p.i64()};
    softmax_backward(span(info, 0, "softmaxBackward y"), span(info, 1, "softmaxBackward g"), g_offset, v, log,
                     span(info, 2, "softmaxBackward output"));
    return info.Env().Undefined();
  }
  // matmul(a, b, bias | null, out); params: view(a) [batch, m, k], view(b) [batch, k, n], view(bias) [n] if bias
  Napi::Value Matmul(const Napi::CallbackInfo& info) {
    Params p = params();
    const View av = p.view(), bv = p.view();
    const Span a = span(info, 0, "matmul a"), b = span(info, 1, "matmul b"), out = span(info, 3, "matmul output");
    if (av.rank != 3 || bv.rank != 3) fail("matmul expects [batch, m, k] and [batch, k, n] views");
    const int64_t batch = av.shape[0], m = av.shape[1], k = av.shape[2], n = bv.shape[2];
    if (bv.shape[0] != batch || bv.shape[1] != k) fail("matmul operand shapes do not match");
    check_view(av, a, "matmul a");
    check_view(bv, b, "matmul b");
    check_length(out, batch * m * n, "matmul output");
    const float* bias = nullptr;
    int64_t bias_stride = 0;
    if (!is_null(info, 2)) {
      const View cv = p.view();
      const Span c = span(info, 2, "matmul bias");
      if (cv.rank != 1 || cv.shape[0] != n) fail("matmul bias must be a [n] view");
      check_view(cv, c, "matmul bias");
      bias = c.data + cv.offset;
      bias_stride = cv.strides[0];
    }
    if (batch * m * n == 0) return info.Env().Undefined();
    const MatrixView ma{a.data + av.offset, av.strides[0], av.strides[1], av.strides[2]};
    const MatrixView mb{b.data + bv.offset, bv.strides[0], bv.strides[1], bv.strides[2]};
    sgemm(batch, m, n, k, ma, mb, bias, bias_stride, out.data, default_pool());
    return info.Env().Undefined();
  }
  // copy(src, dst); params: view(src), view(dst)
  Napi::Value Copy(const Napi::CallbackInfo& info) {
    Params p = params();
    const View sv = p.view(), dv = p.view();
    copy(span(info, 0, "copy source"), sv, span(info, 1, "copy destination"), dv);
    return info.Env().Undefined();
  }
  // gather(x, index, out); params: dim, view(x), view(index)
  Napi::Value Gather(const Napi::CallbackInfo& info) {
    Params p = params();
    const int dim = static_cast<int>(p.i64());
    const View xv = p.view(), iv = p.view();
    gather(span(info, 0, "gather input"), xv, dim, span(info, 1, "gather index"), iv, span(info, 2, "gather output"));
    return info.Env().Undefined();
  }
  // scatterAdd(index, src, out); params: dim, rank, shape…, view(index), view(src)
  Napi::Value ScatterAdd(const Napi::CallbackInfo& info) {
    Params p = params();
    const int dim = static_cast<int>(p.i64());
    const int64_t rank = p.i64();
    if (rank < 0 || rank > kMaxRank) fail("scatterAdd rank " + std::to_string(rank));
    int64_t shape[kMaxRank];
    for (int64_t d = 0; d < rank; d++) shape[d] = p.i64();
    const View sv = contiguous(static_cast<int>(rank), shape);
    const View iv = p.view(), srcv = p.view();
    scatter_add(sv, dim, span(info, 0, "scatterAdd index"), iv, span(info, 1, "scatterAdd source"), srcv, span(info, 2, "scatterAdd output"));
    return info.Env().Undefined();
  }
  // The convolutions' params: n, c, h, w, o, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow (ConvGeometry);
  // every array contiguous. A window position in the padding reads nothing
  // (conv.cc checks each against the input), so any output size stays inside the buffers.
  ConvGeometry conv_geometry(const char* what) {
    Params p = params();
    ConvGeometry g{};
    for (int64_t* field : {&g.n, &g.c, &g.h, &g.w, &g.o, &g.kh, &g.kw, &g.sh, &g.sw, &g.ph, &g.pw, &g.dh, &g.dw, &g.oh, &g.ow}) *field = p.i64();
    const bool sizes = g.n >= 0 && g.c >= 1 && g.h >= 1 && g.w >= 1 && g.o >= 1 && g.kh >= 1 && g.kw >= 1 && g.oh >= 0 && g.ow >= 0;
    const bool steps = g.sh >= 1 && g.sw >= 1 && g.dh >= 1 && g.dw >= 1 && g.ph >= 0 && g.pw >= 0;
    if (!sizes || !steps) fail(std::string(what) + ": invalid geometry");
    return g;
  }
  /**
   * A convolution kernel's call: its three arrays (two inputs, then the output) have the sizes of
   * `roles`, from x (input), w (weight) and y (output) under the geometry, or more.
   */
  using ConvKernel = void (*)(const ConvGeometry&, const float*, const float*, float*, ThreadPool&);
  Napi::Value Conv(const Napi::CallbackInfo& info, const char* what, ConvKernel kernel, const char (&roles)[4]) {
    const ConvGeometry g = conv_geometry(what);
    float* arrays[3];
    for (size_t i = 0; i < 3; i++) {
      const char role = roles[i];
      const int64_t n = role == 'x' ? g.n * g.c * g.h * g.w : role == 'w' ? g.o * g.c * g.kh * g.kw : g.n * g.o * g.oh * g.ow;
      const std::string name = std::string(what) + " argument " + std::to_string(i) + (role == 'x' ? " (input-sized)" : role == 'w' ? " (weight-sized)" : " (output-sized)");
      const Span s = span(info, i, name.c_str());
      check_length(s, n, name.c_str());
      arrays[i] = s.data;
    }
    kernel(g, arrays[0], arrays[1], arrays[2], default_pool());
    return info.Env().Undefined();
  }
  // conv2d(x, weight, y)
  Napi::Value Conv2d(const Napi::CallbackInfo& info) { return Conv(info, "conv2d", conv2d, "xwy"); }
  // conv2dInputGrad(gy, weight, gx)
  Napi::Value Conv2dInputGrad(const Napi::CallbackInfo& info) { return Conv(info, "conv2dInputGrad", conv2d_input_grad, "ywx"); }
  // conv2dWeightGrad(x, gy, gw)
  Napi::Value Conv2dWeightGrad(const Napi::CallbackInfo& info) { return Conv(info, "conv2dWeightGrad", conv2d_weight_grad, "xyw"); }
  // maxPool2dIndices(x, indices); the geometry's o is c, so the indices are output-sized
  Napi::Value MaxPool2dIndices(const Napi::CallbackInfo& info) {
    const ConvGeometry g = conv_geometry("maxPool2dIndices");
    const Span x = span(info, 0, "maxPool2dIndices input"), out = span(info, 1, "maxPool2dIndices output");
    check_length(x, g.n * g.c * g.h * g.w, "maxPool2dIndices input");
    check_length(out, g.n * g.c * g.oh * g.ow, "maxPool2dIndices output");
    max_pool2d_indices(g, x.data, out.data, default_pool());
    return info.Env().Undefined();
  }
  // adamStep(param, grad, expAvg, expAvgSq, maxExpAvgSq | null); params: view(grad), the element
  // offsets of param, expAvg, expAvgSq and maxExpAvgSq (0 when null), beta1, beta2, eps, stepSize,
  // biasCorrection2Sqrt, gradDecay, paramScale
  Napi::Value AdamStep(const Napi::CallbackInfo& info) {
    Params p = params();
    const View gv = p.view();
    const Span param = slice(span(info, 0, "adamStep parameter"), p.i64(), "adamStep parameter");
    const Span exp_avg = slice(span(info, 2, "adamStep expAvg"), p.i64(), "adamStep expAvg");
    const Span exp_avg_sq = slice(span(info, 3, "adamStep expAvgSq"), p.i64(), "adamStep expAvgSq");
    const int64_t vmax_offset = p.i64();
    AdamHyper h{};
    h.beta1 = p.f64(), h.beta2 = p.f64(), h.eps = p.f64(), h.step_size = p.f64();
    h.bias_correction2_sqrt = p.f64(), h.grad_decay = p.f64(), h.param_scale = p.f64();
    Span vmax{};
    const bool amsgrad = !is_null(info, 4);
    if (amsgrad) vmax = slice(span(info, 4, "adamStep maxExpAvgSq"), vmax_offset, "adamStep maxExpAvgSq");
    adam_step(param, span(info, 1, "adamStep gradient"), gv, exp_avg, exp_avg_sq, amsgrad ? &vmax : nullptr, h);
    return info.Env().Undefined();
  }
  // sgdStep(param, grad, momentumBuffer | null); params: view(grad), the element offsets of param and
  // momentumBuffer (0 when null), lr, momentum, dampening, weightDecay, nesterov, firstStep
  Napi::Value SgdStep(const Napi::CallbackInfo& info) {
    Params p = params();
    const View gv = p.view();
    const Span param = slice(span(info, 0, "sgdStep parameter"), p.i64(), "sgdStep parameter");
    const int64_t buffer_offset = p.i64();
    SgdHyper h{};
    h.lr = p.f64(), h.momentum = p.f64(), h.dampening = p.f64(), h.weight_decay = p.f64();
    h.nesterov = p.f64() != 0, h.first_step = p.f64() != 0;
    Span buffer{};
    const bool momentum = !is_null(info, 2);
    if (momentum) buffer = slice(span(info, 2, "sgdStep momentumBuffer"), buffer_offset, "sgdStep momentumBuffer");
    sgd_step(param, span(info, 1, "sgdStep gradient"), gv, momentum ? &buffer : nullptr, h);
    return info.Env().Undefined();
  }

  Napi::Reference<Napi::Float64Array> scratch_ref_;
  const double* scratch_ = nullptr;
  size_t scratch_length_ = 0;
};

}  // namespace
}  // namespace webgrad

using webgrad::WebgradAddon;
NODE_API_ADDON(WebgradAddon)
