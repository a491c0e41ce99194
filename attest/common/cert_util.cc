#include "attest/common/cert_util.h"

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace pv::attest {

std::string DrainOpenSslErrors() {
  std::string out;
  unsigned long code;
  int count = 0;
  while ((code = ERR_get_error()) != 0) {
    if (count++ < 4) {
      char buf[256];
      ERR_error_string_n(code, buf, sizeof(buf));
      if (!out.empty()) out += "; ";
      out += buf;
    }
  }
  return out;
}

bool LooksLikePem(ByteSpan data) {
  static constexpr absl::string_view kMarker = "-----BEGIN ";
  const absl::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  return text.find(kMarker) != absl::string_view::npos;
}

absl::StatusOr<std::vector<X509Ptr>> ParseCertificates(ByteSpan data, absl::string_view what) {
  std::vector<X509Ptr> certs;
  if (data.empty()) return absl::InvalidArgumentError(absl::StrCat(what, ": empty input"));
  if (data.size() > static_cast<size_t>(INT32_MAX)) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": input too large"));
  }
  ERR_clear_error();
  if (LooksLikePem(data)) {
    BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
    if (!bio) return absl::ResourceExhaustedError("BIO_new_mem_buf failed");
    while (true) {
      X509* raw = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
      if (raw == nullptr) break;
      certs.emplace_back(raw);
      if (certs.size() > kMaxCertificatesPerFile) {
        return absl::InvalidArgumentError(
            absl::StrCat(what, ": more than ", kMaxCertificatesPerFile, " certificates"));
      }
    }
    // PEM_read_bio_X509 signals the normal end of input with PEM_R_NO_START_LINE; anything
    // else means a block was present but malformed.
    const unsigned long err = ERR_peek_last_error();
    if (err != 0 &&
        !(ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE)) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": malformed PEM certificate: ", DrainOpenSslErrors()));
    }
    ERR_clear_error();
    if (certs.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": no CERTIFICATE block in PEM"));
    }
    return certs;
  }
  // DER: one or more concatenated certificates that together span the whole input.
  const unsigned char* p = data.data();
  const unsigned char* const end = data.data() + data.size();
  while (p < end) {
    const unsigned char* start = p;
    X509* raw = d2i_X509(nullptr, &p, static_cast<long>(end - p));
    if (raw == nullptr) {
      const std::string why = DrainOpenSslErrors();
      if (certs.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(what, ": not a DER or PEM certificate: ", why));
      }
      return absl::InvalidArgumentError(absl::StrCat(what, ": ", end - start,
                                                     " trailing bytes after DER certificate ",
                                                     certs.size(), " do not decode"));
    }
    certs.emplace_back(raw);
    if (certs.size() > kMaxCertificatesPerFile) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": more than ", kMaxCertificatesPerFile, " certificates"));
    }
  }
  return certs;
}

absl::StatusOr<X509Ptr> ParseSingleCertificate(ByteSpan data, absl::string_view what) {
  auto certs = ParseCertificates(data, what);
  if (!certs.ok()) return certs.status();
  if (certs->size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": expected one certificate, found ", certs->size()));
  }
  return std::move(certs->front());
}

absl::StatusOr<Bytes> CertificateDer(const X509* cert) {
  const int len = i2d_X509(cert, nullptr);
  if (len <= 0) return absl::InternalError("i2d_X509 failed");
  Bytes der(static_cast<size_t>(len));
  unsigned char* p = der.data();
  if (i2d_X509(cert, &p) != len) return absl::InternalError("i2d_X509 length changed");
  return der;
}

Sha256Digest Sha256(ByteSpan data) {
  Sha256Digest out;
  SHA256(data.data(), data.size(), out.data());
  return out;
}

absl::StatusOr<Bytes> DigestOf(absl::string_view algorithm, ByteSpan data) {
  const EVP_MD* md = nullptr;
  if (algorithm == "SHA256") md = EVP_sha256();
  if (algorithm == "SHA384") md = EVP_sha384();
  if (algorithm == "SHA512") md = EVP_sha512();
  if (md == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("unsupported digest '", algorithm, "'"));
  }
  Bytes out(static_cast<size_t>(EVP_MD_get_size(md)));
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) != 1) {
    return absl::InternalError(absl::StrCat("EVP_Digest(", algorithm, ") failed"));
  }
  out.resize(len);
  return out;
}

absl::StatusOr<Sha256Digest> CertificateSha256(const X509* cert) {
  auto der = CertificateDer(cert);
  if (!der.ok()) return der.status();
  return Sha256(*der);
}

bool CertificateValidityRange(const X509* cert, UnixTime* not_before, UnixTime* not_after) {
  std::tm tm_before = {}, tm_after = {};
  const ASN1_TIME* nb = X509_get0_notBefore(cert);
  const ASN1_TIME* na = X509_get0_notAfter(cert);
  if (nb == nullptr || na == nullptr || ASN1_TIME_to_tm(nb, &tm_before) != 1 ||
      ASN1_TIME_to_tm(na, &tm_after) != 1) {
    return false;
  }
  *not_before = static_cast<UnixTime>(timegm(&tm_before));
  *not_after = static_cast<UnixTime>(timegm(&tm_after));
  return true;
}

Validity CertificateValidityAt(const X509* cert, UnixTime now) {
  UnixTime not_before, not_after;
  if (!CertificateValidityRange(cert, &not_before, &not_after)) return Validity::kUnreadable;
  if (now < not_before) return Validity::kNotYetValid;
  if (now > not_after) return Validity::kExpired;
  return Validity::kValid;
}

namespace {
std::string NameToString(const X509_NAME* name) {
  if (name == nullptr) return "(none)";
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return "(?)";
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

// The attributes of a name as "SN=value" strings, in order.
std::vector<std::string> NameAttributes(const X509_NAME* name) {
  std::vector<std::string> out;
  if (name == nullptr) return out;
  for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
    const X509_NAME_ENTRY* e = X509_NAME_get_entry(name, i);
    const int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
    const char* sn = nid == NID_undef ? "?" : OBJ_nid2sn(nid);
    unsigned char* utf8 = nullptr;
    const int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
    out.push_back(absl::StrCat(
        sn, "=", len >= 0 ? std::string(reinterpret_cast<char*>(utf8), len) : std::string("?")));
    OPENSSL_free(utf8);
  }
  return out;
}

}  // namespace

std::string DistinguishedName(const X509_NAME* name) {
  return NameToString(name);
}

std::string NameDifference(const X509_NAME* seen, const X509_NAME* expected) {
  const std::vector<std::string> a = NameAttributes(seen), b = NameAttributes(expected);
  std::string only_seen, only_expected;
  for (const auto& x : a) {
    if (std::find(b.begin(), b.end(), x) == b.end()) {
      absl::StrAppend(&only_seen, only_seen.empty() ? "" : ", ", x);
    }
  }
  for (const auto& x : b) {
    if (std::find(a.begin(), a.end(), x) == a.end()) {
      absl::StrAppend(&only_expected, only_expected.empty() ? "" : ", ", x);
    }
  }
  if (only_seen.empty() && only_expected.empty()) {
    return "same attributes, different encoding or order";
  }
  return absl::StrCat("has ", only_seen.empty() ? "nothing extra" : only_seen, " where ",
                      only_expected.empty() ? "nothing" : only_expected, " is expected");
}

std::string SubjectName(const X509* cert) {
  return NameToString(X509_get_subject_name(cert));
}
std::string IssuerName(const X509* cert) {
  return NameToString(X509_get_issuer_name(cert));
}

bool IssuedBy(const X509* child, const X509* parent) {
  return X509_NAME_cmp(X509_get_issuer_name(child), X509_get_subject_name(parent)) == 0;
}

std::string CertificateText(const X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return "";
  X509_print_ex(bio.get(), const_cast<X509*>(cert), XN_FLAG_RFC2253, 0);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

}  // namespace pv::attest
