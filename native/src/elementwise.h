// Elementwise kernels over strided views: unary (incl. the scalar-operand ops), binary, fill.
#pragma once
#include "view.h"

namespace webgrad {

// The order is the addon's op code; the names are exported so the TypeScript side maps by name.
enum class UnaryOp { Copy, Neg, Exp, Log, Sqrt, Abs, Sign, Relu, Sigmoid, Tanh, Softplus, AddS, MulS, RsubS, RdivS, PowS, GtS, Count };
inline constexpr const char* kUnaryOpNames[] = {"copy", "neg",      "exp",  "log",  "sqrt",  "abs",   "sign",  "relu", "sigmoid",
                                                "tanh", "softplus", "addS", "mulS", "rsubS", "rdivS", "powS", "gtS"};
enum class BinaryOp { Add, Sub, Mul, Div, Pow, Maximum, Gt, Eq, Count };
inline constexpr const char* kBinaryOpNames[] = {"add", "sub", "mul", "div", "pow", "maximum", "gt", "eq"};

/** out (contiguous, x's shape) = op(x, alpha). */
void unary(UnaryOp op, double alpha, Span x, const View& xv, Span out);
/** out (contiguous, the shared shape of av and bv) = op(a, b). */
void binary(BinaryOp op, Span a, const View& av, Span b, const View& bv, Span out);
void fill(Span out, float value);

}  // namespace webgrad
