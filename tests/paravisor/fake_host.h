// Inspectable fakes for the firmware's hardware seams (see fake_host.cpp).
#ifndef PV_TESTS_PARAVISOR_FAKE_HOST_H_
#define PV_TESTS_PARAVISOR_FAKE_HOST_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "arch/host_cpu.h"
#include "lib/status.h"
#include "lib/types.h"
#include "vcpu/registers.h"

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
// The attestation seam (attest/guest_evidence.h): GuestEvidence returns these bytes (or fails
// with `evidence_status` when it is not ok) and records the REPORT_DATA it was asked for.
struct FakeEvidence {
  std::vector<u8> evidence;
  Status status;
  std::vector<u8> last_report_data;
  u32 calls = 0;
};
FakeEvidence& Evidence();
// The TD's TDX module behind the same seam: when `available`, TdReport returns a 1024-byte
// TDREPORT of 0x81 then REPORTDATA at 128 (or fails with `status`) and ExtendRtmr extends
// `rtmr` with the real SHA-384 (ghci/rtmr.cpp) and hands back the new value.
struct FakeTdxModule {
  bool available = false;
  Status status;
  u8 rtmr[4][48] = {};
  u32 reports = 0, extends = 0;
};
FakeTdxModule& TdxModule();
// The register seam (vcpu.h FillRegisters): a backend whose guest registers hold `values`
// (indexed by register number, GPRs first); records what was fetched and how often.
struct FakeRegisterSource {
  u64 values[kRegCount] = {};
  RegMask fetched = 0;
  u32 calls = 0;
};
FakeRegisterSource& RegisterSource();
void Reset();

}  // namespace pv::fake

#endif  // PV_TESTS_PARAVISOR_FAKE_HOST_H_
