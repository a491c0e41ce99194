// Inspectable fakes for the firmware's hardware seams (see fake_host.cpp).
#ifndef PV_TESTS_PARAVISOR_FAKE_HOST_H_
#define PV_TESTS_PARAVISOR_FAKE_HOST_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "arch/host_cpu.h"
#include "lib/types.h"

namespace pv::fake {

struct MsrInterceptCall {
  u32 msr;
  bool read, write;
};

std::string& LogText();
std::map<std::pair<u32, u32>, arch::CpuidResult>& CpuidTable();
u64& Tsc();
u64& Xcr0();
struct TimerCalls {
  u64 acknowledged = 0;
  u64 waits = 0;
  u64 tsc_per_wait = 0;
};
TimerCalls& Timer();
std::vector<MsrInterceptCall>& MsrInterceptCalls();
void Reset();

}  // namespace pv::fake

#endif  // PV_TESTS_PARAVISOR_FAKE_HOST_H_
