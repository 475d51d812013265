// Elementwise kernels over strided views: unary (incl. the scalar-operand ops), binary, fill. The
// ops themselves are the tables of elementwise_ops.h.
#pragma once
#include "elementwise_ops.h"
#include "view.h"

namespace webgrad {

#define WEBGRAD_ENUM_ENTRY(name, ...) name,
#define WEBGRAD_NAME_ENTRY(name, ...) #name,
enum class UnaryOp { WEBGRAD_UNARY_OPS(WEBGRAD_ENUM_ENTRY) Count };
inline constexpr const char* kUnaryOpNames[] = {WEBGRAD_UNARY_OPS(WEBGRAD_NAME_ENTRY)};
enum class BinaryOp { WEBGRAD_BINARY_OPS(WEBGRAD_ENUM_ENTRY) Count };
inline constexpr const char* kBinaryOpNames[] = {WEBGRAD_BINARY_OPS(WEBGRAD_NAME_ENTRY)};
#undef WEBGRAD_ENUM_ENTRY
#undef WEBGRAD_NAME_ENTRY

/** out (contiguous, x's shape) = op(x, alpha). */
void unary(UnaryOp op, double alpha, Span x, const View& xv, Span out);
/** out (contiguous, the shared shape of av and bv) = op(a, b). */
void binary(BinaryOp op, Span a, const View& av, Span b, const View& bv, Span out);
void fill(Span out, float value);

}  // namespace webgrad
