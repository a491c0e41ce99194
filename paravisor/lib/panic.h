// Fatal paravisor errors: print what happened and end the run (never returns).
#ifndef PV_LIB_PANIC_H_
#define PV_LIB_PANIC_H_

namespace pv {

[[noreturn]] void Panic(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace pv

#define PV_ASSERT(cond)                                                                  \
  do {                                                                                   \
    if (!(cond)) ::pv::Panic("assertion failed: %s (%s:%d)", #cond, __FILE__, __LINE__); \
  } while (0)

#endif  // PV_LIB_PANIC_H_
