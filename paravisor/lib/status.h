// Errors as values in the firmware: no exceptions at ring 0. A Status carries a code and a static
// message naming what was wrong; Result<T> carries either a value or a Status. Both are
// [[nodiscard]] so a failure cannot be dropped silently. PV_TRY propagates failures.
#ifndef PV_LIB_STATUS_H_
#define PV_LIB_STATUS_H_

#include "lib/types.h"

namespace pv {

enum class Err : u8 {
  kOk = 0,
  kInvalidArgument,  // a caller- or guest-supplied value is malformed
  kOutOfRange,       // an address or size lies outside what it must fit in
  kNoMemory,         // the page allocator is exhausted
  kUnsupported,      // the CPU or the input asks for something not implemented
  kNotFound,
  kHardware,  // a CPU instruction reported failure (VM-Fail, VMEXIT_INVALID)
};

class [[nodiscard]] Status {
 public:
  constexpr Status() = default;
  constexpr Status(Err code, const char* message) : code_(code), message_(message) {}
  static constexpr Status Ok() { return Status(); }

  constexpr bool ok() const { return code_ == Err::kOk; }
  constexpr Err code() const { return code_; }
  constexpr const char* message() const { return message_ ? message_ : "ok"; }

 private:
  Err code_ = Err::kOk;
  const char* message_ = nullptr;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  constexpr Result(T value) : value_(value) {}                    // NOLINT: implicit by design
  constexpr Result(Status status) : value_(), status_(status) {}  // NOLINT: implicit by design

  constexpr bool ok() const { return status_.ok(); }
  constexpr const Status& status() const { return status_; }
  constexpr T& value() { return value_; }
  constexpr const T& value() const { return value_; }

 private:
  T value_;
  Status status_;
};

}  // namespace pv

#define PV_CONCAT_INNER(a, b) a##b
#define PV_CONCAT(a, b) PV_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function if `expr` (a Status) failed.
#define PV_TRY(expr)                               \
  do {                                             \
    ::pv::Status pv_try_status = (expr);           \
    if (!pv_try_status.ok()) return pv_try_status; \
  } while (0)

// Declares `lhs` from a Result<T> expression, or returns its Status on failure.
#define PV_TRY_ASSIGN(lhs, expr) PV_TRY_ASSIGN_IMPL(PV_CONCAT(pv_result_, __LINE__), lhs, expr)
// `lhs` is a declaration (e.g. `u64 pa`), which parentheses would break.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define PV_TRY_ASSIGN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                       \
  if (!tmp.ok()) return tmp.status();      \
  lhs = tmp.value()
// NOLINTEND(bugprone-macro-parentheses)

#endif  // PV_LIB_STATUS_H_
