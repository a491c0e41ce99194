// The KBS's own attestation token: a JWT (RFC 7519) signed ES256 with a P-256 key that the
// KBS keeps in its store (created on first start, file mode 0600). The token states what was
// verified (tee, verdict, checks, measurement) and the tee-pubkey the session is bound to.
#ifndef PV_KBS_TOKEN_SIGNER_H_
#define PV_KBS_TOKEN_SIGNER_H_

#include <string>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "attest/common/openssl_ptr.h"
#include "kbs/jwt.h"

namespace pv::kbs {

class TokenSigner {
 public:
  // Loads the PEM private key at `path`, or creates one there if it does not exist.
  static absl::StatusOr<TokenSigner> LoadOrCreate(const std::string& path);

  absl::StatusOr<std::string> Sign(const nlohmann::json& claims) const;
  // Whether `jwt` (parsed by ParseCompactJwt) carries this key's ES256 signature.
  absl::Status Verify(const CompactJwt& jwt) const;
  // The public key as a JWK, so relying parties can check tokens.
  nlohmann::json PublicJwk() const;
  EVP_PKEY* key() const { return key_.get(); }

 private:
  explicit TokenSigner(attest::EvpPkeyPtr key) : key_(std::move(key)) {}
  attest::EvpPkeyPtr key_;
};

}  // namespace pv::kbs

#endif  // PV_KBS_TOKEN_SIGNER_H_
