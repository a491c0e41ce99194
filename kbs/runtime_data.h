// REPORT_DATA binding of the KBS protocol, computed as trustee's attestation service does:
// SHA-384 of the JCS-canonical (RFC 8785) runtime-data JSON, zero-padded to the 64 bytes of
// SNP REPORT_DATA / TDX REPORTDATA. It ties the evidence to this session's nonce and to the
// tee-pubkey a resource will be wrapped to.
#ifndef PV_KBS_RUNTIME_DATA_H_
#define PV_KBS_RUNTIME_DATA_H_

#include <array>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"

namespace pv::kbs {

using ReportData = std::array<uint8_t, 64>;

absl::StatusOr<ReportData> RuntimeDataBinding(const nlohmann::json& runtime_data);

}  // namespace pv::kbs

#endif  // PV_KBS_RUNTIME_DATA_H_
