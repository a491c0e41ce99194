#include "attest/simsp/der_values.h"

#include <openssl/asn1.h>

namespace pv::attest::simsp {

std::vector<uint8_t> DerInteger(int64_t v) {
  ASN1_INTEGER* i = ASN1_INTEGER_new();
  ASN1_INTEGER_set_int64(i, v);
  unsigned char* out = nullptr;
  const int len = i2d_ASN1_INTEGER(i, &out);
  std::vector<uint8_t> der(out, out + (len > 0 ? len : 0));
  OPENSSL_free(out);
  ASN1_INTEGER_free(i);
  return der;
}

std::vector<uint8_t> DerIa5String(const std::string& s) {
  ASN1_IA5STRING* a = ASN1_IA5STRING_new();
  ASN1_STRING_set(a, s.data(), static_cast<int>(s.size()));
  unsigned char* out = nullptr;
  const int len = i2d_ASN1_IA5STRING(a, &out);
  std::vector<uint8_t> der(out, out + (len > 0 ? len : 0));
  OPENSSL_free(out);
  ASN1_IA5STRING_free(a);
  return der;
}

}  // namespace pv::attest::simsp
