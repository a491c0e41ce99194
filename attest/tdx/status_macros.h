// Early-return helpers for absl::Status / absl::StatusOr (Abseil's public release has none).
#ifndef PV_ATTEST_TDX_STATUS_MACROS_H_
#define PV_ATTEST_TDX_STATUS_MACROS_H_

#include <utility>

#define PV_TDX_CONCAT_INNER(a, b) a##b
#define PV_TDX_CONCAT(a, b) PV_TDX_CONCAT_INNER(a, b)

// Evaluates `expr` (an absl::StatusOr<T>); returns its status on error, else assigns to `lhs`
// (which may be a declaration such as `auto x`).
#define PV_TDX_ASSIGN_OR_RETURN(lhs, expr) \
  PV_TDX_ASSIGN_OR_RETURN_IMPL(PV_TDX_CONCAT(pv_status_or_, __LINE__), lhs, expr)
#define PV_TDX_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = *std::move(tmp)

#define PV_TDX_RETURN_IF_ERROR(expr)         \
  do {                                       \
    absl::Status pv_status_ = (expr);        \
    if (!pv_status_.ok()) return pv_status_; \
  } while (0)

#endif  // PV_ATTEST_TDX_STATUS_MACROS_H_
