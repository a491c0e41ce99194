// libFuzzer target: the TDX quote parser, field decoder, PCK SGX-extension DER parser and the
// whole verifier (PEM chain parsing, signature paths) on arbitrary bytes. Must never crash,
// leak or read out of bounds; every outcome is either an error status or a report.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "attest/tdx/pck_extensions.h"
#include "attest/tdx/quote.h"
#include "attest/tdx/tdx_verifier.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pv::attest::tdx;  // NOLINT
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto parsed = ParseQuote(bytes);
  if (parsed.ok()) {
    auto fields = DecodeQuoteFields(*parsed);
    if (fields.empty()) __builtin_trap();
  }
  (void)ParsePckExtensionsDer(bytes);

  static TdxVerifier* verifier = new TdxVerifier();  // caches persist across inputs, as in use
  TdxVerifyOptions options;
  options.now = absl::FromUnixSeconds(1751328000);  // 2025-07-01
  options.allow_unpinned_root = true;               // reach the chain verification code
  (void)verifier->Verify(std::string_view(bytes.data(), bytes.size()), TdxCollateral{}, options);
  return 0;
}
