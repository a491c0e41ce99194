// The guest RAM of the protocol fuzzers (fuzz_ghcb.cpp, fuzz_tdcall.cpp): 2 MiB, filled with a
// marker before each run, so that afterwards any byte written outside the pages the run was
// allowed to change is found.
#ifndef PV_TESTS_PARAVISOR_FUZZ_GUEST_RAM_H_
#define PV_TESTS_PARAVISOR_FUZZ_GUEST_RAM_H_

#include <cstdint>
#include <cstring>
#include <vector>

namespace pv::fuzz {

class GuestRam {
 public:
  static constexpr uint64_t kSize = 2ull << 20;
  static constexpr uint8_t kMarker = 0x5a;

  uint8_t* Fill() {
    std::memset(bytes_.data(), kMarker, bytes_.size());
    return bytes_.data();
  }
  // Whether every page but `a` and `b` (GPAs of pages) still holds only the marker.
  bool UnchangedExcept(uint64_t a, uint64_t b) const {
    for (uint64_t gpa = 0; gpa < kSize; gpa += 4096) {
      if (gpa == a || gpa == b) continue;
      const uint8_t* p = bytes_.data() + gpa;
      if (p[0] != kMarker || std::memcmp(p, p + 1, 4095) != 0) return false;
    }
    return true;
  }

 private:
  std::vector<uint8_t> bytes_ = std::vector<uint8_t>(kSize);
};

}  // namespace pv::fuzz

#endif  // PV_TESTS_PARAVISOR_FUZZ_GUEST_RAM_H_
