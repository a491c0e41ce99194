// The reset stub ROM of measured launches (paravisor/reset/reset_stub.asm), assembled by this
// build and compiled into the tools that need it (pv-agent writes it, pvattest measures it).
#ifndef PV_ATTEST_MEASURE_RESET_ROM_H_
#define PV_ATTEST_MEASURE_RESET_ROM_H_

#include <cstdint>
#include <span>

namespace pv::attest::measure {

std::span<const uint8_t> EmbeddedResetRom();

}  // namespace pv::attest::measure

#endif  // PV_ATTEST_MEASURE_RESET_ROM_H_
