// TDX MRTD: the SHA-384 the TDX module accumulates over TDH.MEM.PAGE.ADD and TDH.MR.EXTEND
// while the VMM builds a TD, finalised by TDH.MR.FINALIZE (TDX module ABI; see
// ../shared/reference/confidential.md §3):
//   PAGE.ADD : 128-byte record "MEM.PAGE.ADD" (zero-padded to 16) | GPA u64 LE | zeros
//   MR.EXTEND: per 256-byte chunk, 128-byte record "MR.EXTEND" (padded to 16) | chunk GPA u64 |
//              zeros, followed by the 256 chunk bytes.
#ifndef PV_ATTEST_MEASURE_TDX_MRTD_H_
#define PV_ATTEST_MEASURE_TDX_MRTD_H_

#include <cstdint>
#include <memory>
#include <span>

#include "attest/measure/snp_launch_digest.h"

namespace pv::attest::measure {

class TdxMrtd {
 public:
  TdxMrtd();
  ~TdxMrtd();
  TdxMrtd(const TdxMrtd&) = delete;
  TdxMrtd& operator=(const TdxMrtd&) = delete;

  void PageAdd(uint64_t gpa);
  // TDH.MR.EXTEND of the 16 chunks of one page.
  void ExtendPage(uint64_t gpa, PageView page);
  // PAGE.ADD followed by the page's EXTENDs (newer KVM's single-pass order).
  void AddMeasuredPage(uint64_t gpa, PageView page) {
    PageAdd(gpa);
    ExtendPage(gpa, page);
  }
  // The value TDH.MR.FINALIZE would produce now (the running hash is not consumed).
  Sha384 Finalize() const;

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

}  // namespace pv::attest::measure

#endif  // PV_ATTEST_MEASURE_TDX_MRTD_H_
