#include "kbs/jwk.h"

#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include <set>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "kbs/base64.h"

namespace pv::kbs {
namespace {

using Json = nlohmann::json;
using attest::Bytes;

constexpr size_t kMinRsaBits = 2048;
constexpr size_t kMaxRsaBits = 8192;

absl::Status Bad(const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat("tee-pubkey: ", what));
}

absl::StatusOr<Bytes> Member(const Json& jwk, const char* name) {
  auto it = jwk.find(name);
  if (it == jwk.end() || !it->is_string())
    return Bad(absl::StrCat("\"", name, "\" missing or not a string"));
  auto bytes = Base64UrlDecode(it->get_ref<const std::string&>());
  if (!bytes.ok()) return Bad(absl::StrCat("\"", name, "\": ", bytes.status().message()));
  return bytes;
}

struct ParamBldDeleter {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamDeleter {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};

absl::StatusOr<attest::EvpPkeyPtr> FromData(const char* type, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, ParamDeleter> params(OSSL_PARAM_BLD_to_param(bld));
  attest::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0) {
    return Bad("key material rejected by OpenSSL");
  }
  attest::EvpPkeyPtr key(raw);
  // EC: the point was decoded on the curve by fromdata, and P-256/384/521 have cofactor 1, so
  // the quick check (not the point at infinity, coordinates in range, on the curve) is
  // complete; the full check would add a scalar multiplication by the group order.
  attest::EvpPkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  const int ok = std::string_view(type) == "EC" ? EVP_PKEY_public_check_quick(check.get())
                                                : EVP_PKEY_public_check(check.get());
  if (!check || ok != 1) return Bad("public key check failed");
  return key;
}

absl::StatusOr<TeePublicKey> ParseEc(const Json& jwk) {
  auto crv = jwk.find("crv");
  if (crv == jwk.end() || !crv->is_string()) return Bad("\"crv\" missing");
  const char* group = nullptr;
  size_t size = 0;
  if (!JoseCurve(crv->get<std::string>(), &group, &size)) {
    return Bad(absl::StrCat("unsupported curve (P-256, P-384, P-521)"));
  }
  auto x = Member(jwk, "x");
  if (!x.ok()) return x.status();
  auto y = Member(jwk, "y");
  if (!y.ok()) return y.status();
  if (x->size() != size || y->size() != size) {
    return Bad(absl::StrCat("coordinates must be ", size, " bytes each"));
  }
  Bytes point = {0x04};
  point.insert(point.end(), x->begin(), x->end());
  point.insert(point.end(), y->begin(), y->end());
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldDeleter> bld(OSSL_PARAM_BLD_new());
  if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
      !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                        point.size())) {
    return absl::InternalError("tee-pubkey: OpenSSL parameter build failed");
  }
  auto key = FromData("EC", bld.get());
  if (!key.ok()) return key.status();
  TeePublicKey out;
  out.wrap = KeyWrap::kEcdhEsA256Kw;
  out.curve = crv->get<std::string>();
  out.key = std::move(*key);
  return out;
}

absl::StatusOr<TeePublicKey> ParseRsa(const Json& jwk) {
  auto n = Member(jwk, "n");
  if (!n.ok()) return n.status();
  auto e = Member(jwk, "e");
  if (!e.ok()) return e.status();
  size_t lead = 0;
  while (lead < n->size() && (*n)[lead] == 0) ++lead;
  const size_t bits = (n->size() - lead) * 8;
  if (bits < kMinRsaBits || bits > kMaxRsaBits) {
    return Bad(absl::StrCat("RSA modulus must be ", kMinRsaBits, "..", kMaxRsaBits, " bits"));
  }
  if (e->empty() || e->size() > 8) return Bad("RSA exponent size");
  attest::BignumPtr bn_n(BN_bin2bn(n->data(), static_cast<int>(n->size()), nullptr));
  attest::BignumPtr bn_e(BN_bin2bn(e->data(), static_cast<int>(e->size()), nullptr));
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldDeleter> bld(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !bld ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get())) {
    return absl::InternalError("tee-pubkey: OpenSSL parameter build failed");
  }
  auto key = FromData("RSA", bld.get());
  if (!key.ok()) return key.status();
  TeePublicKey out;
  out.wrap = KeyWrap::kRsaOaep256;
  out.key = std::move(*key);
  return out;
}

}  // namespace

bool JoseCurve(const std::string& crv, const char** group, size_t* coordinate_bytes) {
  if (crv == "P-256") {
    *group = "prime256v1";
    *coordinate_bytes = 32;
  } else if (crv == "P-384") {
    *group = "secp384r1";
    *coordinate_bytes = 48;
  } else if (crv == "P-521") {
    *group = "secp521r1";
    *coordinate_bytes = 66;
  } else {
    return false;
  }
  return true;
}

absl::StatusOr<TeePublicKey> ParseTeePublicKey(const Json& jwk) {
  if (!jwk.is_object()) return Bad("must be a JSON object (a JWK)");
  static const std::set<std::string> kAllowed = {"kty", "crv", "x",   "y",   "n",
                                                 "e",   "alg", "kid", "use", "key_ops"};
  for (auto it = jwk.begin(); it != jwk.end(); ++it) {
    if (kAllowed.count(it.key()) == 0) {
      return Bad(
          absl::StrCat("member \"", it.key().substr(0, 32), "\" is not allowed in a public JWK"));
    }
  }
  auto kty = jwk.find("kty");
  if (kty == jwk.end() || !kty->is_string()) return Bad("\"kty\" missing");
  std::string alg;
  if (auto a = jwk.find("alg"); a != jwk.end()) {
    if (!a->is_string()) return Bad("\"alg\" must be a string");
    alg = a->get<std::string>();
  }
  absl::StatusOr<TeePublicKey> key;
  if (*kty == "EC") {
    if (!alg.empty() && alg != "ECDH-ES+A256KW") return Bad("EC keys must use ECDH-ES+A256KW");
    key = ParseEc(jwk);
  } else if (*kty == "RSA") {
    if (!alg.empty() && alg != "RSA-OAEP-256") {
      return Bad("RSA keys must use RSA-OAEP-256 (RSA1_5 is refused)");
    }
    key = ParseRsa(jwk);
  } else {
    return Bad("\"kty\" must be EC or RSA");
  }
  if (!key.ok()) return key.status();
  key->jwk = jwk;
  return key;
}

absl::StatusOr<Json> EcPublicJwk(EVP_PKEY* key, const std::string& curve) {
  const char* group = nullptr;
  size_t size = 0;
  if (!JoseCurve(curve, &group, &size)) return absl::InvalidArgumentError("unsupported curve");
  Bytes point(1 + 2 * size);
  size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size(),
                                      &len) != 1 ||
      len != point.size() || point[0] != 0x04) {
    return absl::InternalError("cannot export EC public key");
  }
  return Json{{"kty", "EC"},
              {"crv", curve},
              {"x", Base64UrlEncode(attest::ByteSpan(point.data() + 1, size))},
              {"y", Base64UrlEncode(attest::ByteSpan(point.data() + 1 + size, size))}};
}

}  // namespace pv::kbs
