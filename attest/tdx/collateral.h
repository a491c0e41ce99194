// Intel PCS collateral for TDX: TCB info (id "TDX", version 3) and QE identity (id "TD_QE",
// version 2). The parsers are bounded (size limit, nesting limit, level-count limit) and keep a
// view of the exact bytes of the signed member ("tcbInfo" / "enclaveIdentity") because Intel
// signs those bytes as they appear in the document; re-serialising would break the signature.
#ifndef PV_ATTEST_TDX_COLLATERAL_H_
#define PV_ATTEST_TDX_COLLATERAL_H_

#include <array>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pv::attest::tdx {

inline constexpr size_t kMaxCollateralJsonSize = 1 << 20;
inline constexpr size_t kMaxTcbLevels = 1024;

struct PlatformTcbLevel {
  std::array<uint8_t, 16> sgx_components{};
  uint16_t pcesvn = 0;
  std::array<uint8_t, 16> tdx_components{};
  std::string tcb_date;
  std::string status;
  std::vector<std::string> advisory_ids;
};

struct IsvSvnTcbLevel {  // TDX module identity levels and QE identity levels
  uint16_t isvsvn = 0;
  std::string tcb_date;
  std::string status;
  std::vector<std::string> advisory_ids;
};

struct TdxModuleIdentity {
  std::string id;               // "TDX_03"
  std::string mrsigner;         // 48 bytes
  std::string attributes;       // 8 bytes
  std::string attributes_mask;  // 8 bytes
  std::vector<IsvSvnTcbLevel> levels;
};

struct TcbInfo {
  std::string id;
  int version = 0;
  time_t issue_date = 0;
  time_t next_update = 0;
  std::string fmspc;  // 6 bytes
  std::string pceid;  // 2 bytes
  int tcb_type = 0;
  int64_t tcb_evaluation_data_number = 0;
  // tdxModule: MRSIGNERSEAM and SEAM_ATTRIBUTES expectations (TDX module major version 0).
  std::string module_mrsigner;         // 48 bytes
  std::string module_attributes;       // 8 bytes
  std::string module_attributes_mask;  // 8 bytes
  std::vector<TdxModuleIdentity> module_identities;
  std::vector<PlatformTcbLevel> levels;
};

struct QeIdentity {
  std::string id;
  int version = 0;
  time_t issue_date = 0;
  time_t next_update = 0;
  int64_t tcb_evaluation_data_number = 0;
  std::string miscselect, miscselect_mask;  // 4 bytes each
  std::string attributes, attributes_mask;  // 16 bytes each
  std::string mrsigner;                     // 32 bytes
  uint16_t isvprodid = 0;
  std::vector<IsvSvnTcbLevel> levels;
};

// A signed PCS document: the signed member's exact bytes and the 64-byte r||s signature.
struct SignedJson {
  absl::string_view signed_bytes;
  std::string signature;
};

struct ParsedTcbInfo {
  TcbInfo info;
  SignedJson signed_json;
};
struct ParsedQeIdentity {
  QeIdentity identity;
  SignedJson signed_json;
};

// `document` must outlive the returned views.
absl::StatusOr<ParsedTcbInfo> ParseTcbInfoDocument(absl::string_view document);
absl::StatusOr<ParsedQeIdentity> ParseQeIdentityDocument(absl::string_view document);

// The raw bytes of each member value of a top-level JSON object, in order. Rejects duplicate
// keys and nesting deeper than 64. Exposed for tests.
absl::StatusOr<std::vector<std::pair<std::string, absl::string_view>>> TopLevelMembers(
    absl::string_view json);

}  // namespace pv::attest::tdx

#endif  // PV_ATTEST_TDX_COLLATERAL_H_
