#include "kbs_relay.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cctype>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "../../protocol/attest/kbs_relay.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "file_util.h"
#include "log.h"

namespace pv::agent {

namespace ap = pv::attest_proto;

namespace {

constexpr size_t kMaxResources = 4;
constexpr size_t kMaxComponent = 128;
constexpr size_t kMaxCertificate = 2048;  // the paravisor's limit per DER certificate

bool ComponentOk(absl::string_view c) {
  if (c.empty() || c.size() > kMaxComponent) return false;
  for (size_t i = 0; i < c.size(); ++i) {
    const char ch = c[i];
    const bool alnum =
        (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
    if (!alnum && (i == 0 || (ch != '.' && ch != '_' && ch != '-'))) return false;
  }
  return true;
}

bool ResourcePathOk(absl::string_view path) {
  std::vector<absl::string_view> parts = absl::StrSplit(path, '/');
  if (parts.size() != 3) return false;
  for (absl::string_view p : parts) {
    if (!ComponentOk(p)) return false;
  }
  return true;
}

struct Url {
  std::string host;
  int port = 0;
};

// http://host:port with an optional trailing '/'; host a name, an IPv4 address or [IPv6].
absl::StatusOr<Url> ParseKbsUrl(absl::string_view url) {
  auto bad = [&](const char* why) {
    return absl::InvalidArgumentError(
        absl::StrCat("spec.attestation.kbs_url '", url.substr(0, 64), "' ", why));
  };
  absl::string_view rest = url;
  if (!absl::ConsumePrefix(&rest, "http://")) return bad("must start with http://");
  absl::ConsumeSuffix(&rest, "/");
  const size_t colon = rest.rfind(':');
  if (colon == absl::string_view::npos) return bad("needs an explicit :port");
  absl::string_view host = rest.substr(0, colon);
  int port = 0;
  if (!absl::SimpleAtoi(rest.substr(colon + 1), &port) || port < 1 || port > 65535) {
    return bad("has no port in 1..65535");
  }
  if (host.empty() || host.size() > 253) return bad("has no host");
  if (host.front() == '[') {
    if (host.back() != ']' || host.size() < 3) return bad("has a malformed [IPv6] host");
    for (char c : host.substr(1, host.size() - 2)) {
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':') return bad("has a bad host");
    }
    host = host.substr(1, host.size() - 2);
  } else {
    for (char c : host) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') {
        return bad("has a host with characters outside [A-Za-z0-9.-] (no path, user or query)");
      }
    }
  }
  return Url{std::string(host), port};
}

// Standard base64 (padded), through OpenSSL's encoder.
std::string Base64(const std::vector<uint8_t>& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::optional<std::vector<uint8_t>> Unbase64(std::string text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::vector<uint8_t> out(text.size() / 4 * 3 + 1);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  size_t len = static_cast<size_t>(n);
  if (!text.empty() && text.back() == '=') --len;
  if (text.size() > 1 && text[text.size() - 2] == '=') --len;
  out.resize(len);
  return out;
}

std::string UrlToStd(std::string s) {
  for (char& c : s) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (s.size() % 4 != 0) s.push_back('=');
  return s;
}

std::string StdToUrl(std::string s) {
  while (!s.empty() && s.back() == '=') s.pop_back();
  for (char& c : s) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return s;
}

// TEST FAULT INJECTOR: flips one bit of the named part of an attest body / JWE. Returns the
// body unchanged if the part is not there (the test then fails on its own expectations).
std::string FlipAttest(const std::string& body, KbsRelayFault fault) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return body;
  if (fault == KbsRelayFault::kFlipEvidence) {
    auto& ev = j["tee-evidence"]["primary_evidence"];
    const char* field = ev.contains("attestation_report") ? "attestation_report" : "quote";
    if (!ev.contains(field) || !ev[field].is_string()) return body;
    std::optional<std::vector<uint8_t>> bytes = Unbase64(ev[field].get<std::string>());
    if (!bytes || bytes->size() <= 0x90) return body;
    (*bytes)[0x90] ^= 0x01;  // SNP: first byte of MEASUREMENT; TDX: inside the TD report body
    ev[field] = Base64(*bytes);
  } else if (fault == KbsRelayFault::kFlipRuntimeData) {
    auto& rd = j["runtime-data"];
    if (!rd.contains("nonce") || !rd["nonce"].is_string()) return body;
    std::string nonce = rd["nonce"].get<std::string>();
    for (char& c : nonce) {
      if (std::isalpha(static_cast<unsigned char>(c))) {
        c ^= 0x20;  // one bit: the letter's case, still a base64 character
        break;
      }
    }
    rd["nonce"] = nonce;
  }
  return j.dump();
}

std::string FlipJwe(const std::string& body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("ciphertext") ||
      !j["ciphertext"].is_string()) {
    return body;
  }
  std::optional<std::vector<uint8_t>> ct = Unbase64(UrlToStd(j["ciphertext"].get<std::string>()));
  if (!ct || ct->empty()) return body;
  (*ct)[0] ^= 0x01;
  j["ciphertext"] = StdToUrl(Base64(*ct));
  return j.dump();
}

std::optional<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return std::nullopt;
  std::string data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (data.size() > 65536) return std::nullopt;
  return data;
}

void PutLe32(std::vector<uint8_t>* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// The payload of a JWT (not verified here: the agent only displays what the KBS said).
nlohmann::json JwtClaims(const std::string& token) {
  const size_t a = token.find('.');
  const size_t b = token.find('.', a == std::string::npos ? a : a + 1);
  if (a == std::string::npos || b == std::string::npos) return nlohmann::json();
  std::optional<std::vector<uint8_t>> payload = Unbase64(UrlToStd(token.substr(a + 1, b - a - 1)));
  if (!payload) return nlohmann::json();
  return nlohmann::json::parse(payload->begin(), payload->end(), nullptr, false);
}

// TEST FAULT INJECTOR (other-partition-evidence): the first attest request seen in this agent
// is remembered; every later one from another partition gets its tee-evidence.
bool SwapInOtherEvidence(const std::string& partition, std::string* body, std::string* from) {
  static absl::Mutex mu(absl::kConstInit);
  static std::string* first_partition ABSL_GUARDED_BY(mu) = nullptr;
  static nlohmann::json* first_evidence ABSL_GUARDED_BY(mu) = nullptr;
  nlohmann::json j = nlohmann::json::parse(*body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("tee-evidence")) return false;
  absl::MutexLock lock(&mu);
  if (first_partition == nullptr) {
    first_partition = new std::string(partition);
    first_evidence = new nlohmann::json(j["tee-evidence"]);
    return false;
  }
  if (*first_partition == partition) return false;
  j["tee-evidence"] = *first_evidence;
  *body = j.dump();
  *from = *first_partition;
  return true;
}

}  // namespace

absl::StatusOr<KbsRelayFault> ParseKbsRelayFault(const std::string& name) {
  if (name == "none") return KbsRelayFault::kNone;
  if (name == "flip-evidence") return KbsRelayFault::kFlipEvidence;
  if (name == "flip-runtime-data") return KbsRelayFault::kFlipRuntimeData;
  if (name == "flip-jwe") return KbsRelayFault::kFlipJwe;
  if (name == "other-partition-evidence") return KbsRelayFault::kEvidenceOfOtherPartition;
  return absl::InvalidArgumentError(absl::StrCat(
      "--test-fault-kbs-relay '", name.substr(0, 32),
      "' is not none, flip-evidence, flip-runtime-data, flip-jwe or other-partition-evidence"));
}

const char* KbsRelayFaultName(KbsRelayFault fault) {
  switch (fault) {
    case KbsRelayFault::kFlipEvidence:
      return "flip-evidence";
    case KbsRelayFault::kFlipRuntimeData:
      return "flip-runtime-data";
    case KbsRelayFault::kFlipJwe:
      return "flip-jwe";
    case KbsRelayFault::kEvidenceOfOtherPartition:
      return "other-partition-evidence";
    case KbsRelayFault::kNone:
      break;
  }
  return "none";
}

absl::Status ValidateAttestationSpec(const pv::v1::PartitionSpec& spec) {
  if (!spec.has_attestation()) return absl::OkStatus();
  const pv::v1::AttestationSpec& a = spec.attestation();
  if (spec.tee() == pv::v1::TEE_NONE) {
    return absl::InvalidArgumentError(
        "spec.attestation needs spec.tee sev-snp or tdx (a plain partition has no evidence)");
  }
  if (absl::StatusOr<Url> url = ParseKbsUrl(a.kbs_url()); !url.ok()) return url.status();
  if (a.resources().empty() || a.resources_size() > static_cast<int>(kMaxResources)) {
    return absl::InvalidArgumentError(absl::StrCat("spec.attestation.resources has ",
                                                   a.resources_size(), " entries; 1..4 allowed"));
  }
  for (int i = 0; i < a.resources_size(); ++i) {
    if (!ResourcePathOk(a.resources(i))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "spec.attestation.resources[", i, "] '", a.resources(i).substr(0, 64),
          "' is not <repo>/<type>/<tag> with components [A-Za-z0-9][A-Za-z0-9._-]{0,127}"));
    }
  }
  return absl::OkStatus();
}

std::optional<std::string> FirmwareTeeWord(const std::string& cmdline) {
  for (absl::string_view word : absl::StrSplit(cmdline, ' ', absl::SkipEmpty())) {
    if (absl::StartsWith(word, "tee=")) return std::string(word.substr(4));
  }
  return std::nullopt;
}

std::string EffectiveFirmwareCmdline(const pv::v1::PartitionSpec& spec) {
  std::vector<std::string> words;
  if (!spec.firmware_cmdline().empty()) words.push_back(spec.firmware_cmdline());
  // The paravisor's attestation personality defaults to sev-snp; a tdx partition's paravisor is
  // told (and measured) unless the command line already says it.
  if (spec.tee() == pv::v1::TEE_TDX && !FirmwareTeeWord(spec.firmware_cmdline()).has_value()) {
    words.push_back("tee=tdx");
  }
  if (spec.has_attestation()) {
    words.push_back(absl::StrCat("kbs=", absl::StrJoin(spec.attestation().resources(), ",")));
  }
  return absl::StrJoin(words, " ");
}

HttpKbsRelay::HttpKbsRelay(std::string partition, const std::string& kbs_url,
                           std::string certificate_dir, KbsRelayFault fault)
    : partition_(std::move(partition)),
      host_(ParseKbsUrl(kbs_url).ok() ? ParseKbsUrl(kbs_url)->host : ""),
      port_(ParseKbsUrl(kbs_url).ok() ? ParseKbsUrl(kbs_url)->port : 0),
      certificate_dir_(std::move(certificate_dir)),
      fault_(fault) {
  absl::MutexLock lock(&mu_);
  status_.set_state("pending");
  if (fault_ != KbsRelayFault::kNone) {
    Log(partition_, ": WARNING: TEST FAULT INJECTOR active on the KBS relay (",
        KbsRelayFaultName(fault_), "): this partition's attestation traffic is tampered with");
  }
}

pv::v1::AttestationStatus HttpKbsRelay::status() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

std::vector<uint8_t> HttpKbsRelay::Certificates(uint32_t* http_status) {
  *http_status = 404;
  std::optional<std::string> vcek = ReadSmallFile(certificate_dir_ + "/vcek.der");
  std::optional<std::string> chain = ReadSmallFile(certificate_dir_ + "/cert_chain.pem");
  if (!vcek || !chain || vcek->empty() || vcek->size() > kMaxCertificate) return {};
  // The ASK is the chain's first certificate (ASK then ARK); DER for the paravisor.
  const std::string& pem = *chain;
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* ask = bio != nullptr ? PEM_read_bio_X509(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (ask == nullptr) return {};
  unsigned char* der = nullptr;
  const int der_len = i2d_X509(ask, &der);
  X509_free(ask);
  if (der_len <= 0 || static_cast<size_t>(der_len) > kMaxCertificate) {
    OPENSSL_free(der);
    return {};
  }
  std::vector<uint8_t> out;
  PutLe32(&out, static_cast<uint32_t>(vcek->size()));
  out.insert(out.end(), vcek->begin(), vcek->end());
  PutLe32(&out, static_cast<uint32_t>(der_len));
  out.insert(out.end(), der, der + der_len);
  OPENSSL_free(der);
  *http_status = 200;
  return out;
}

void HttpKbsRelay::Observe(const std::string& path, int http_status, const std::string& body) {
  absl::MutexLock lock(&mu_);
  const int64_t now = UnixMillisNow();
  if (http_status == 0) {
    status_.set_state("unavailable");
    status_.set_reason(absl::StrCat("KBS unreachable: ", body.substr(0, 200)));
    return;
  }
  std::string refusal;
  if (http_status != 200) {
    nlohmann::json e = nlohmann::json::parse(body, nullptr, false);
    std::string type = e.is_object() && e.contains("type") && e["type"].is_string()
                           ? e["type"].get<std::string>()
                           : "";
    if (const size_t slash = type.rfind('/'); slash != std::string::npos) type.erase(0, slash + 1);
    const std::string detail = e.is_object() && e.contains("detail") && e["detail"].is_string()
                                   ? e["detail"].get<std::string>()
                                   : "";
    refusal = absl::StrCat("HTTP ", http_status, " ", type, ": ", detail.substr(0, 400));
  }
  if (path == "/kbs/v0/auth") {
    if (http_status == 200) {
      status_.set_state("auth");
      status_.set_auth_unix_ms(now);
    } else {
      status_.set_state("denied");
      status_.set_reason(refusal);
    }
  } else if (path == "/kbs/v0/attest") {
    status_.set_attested_unix_ms(now);
    if (http_status == 200) {
      status_.set_state("attested");
      nlohmann::json body_json = nlohmann::json::parse(body, nullptr, false);
      nlohmann::json claims;
      if (body_json.is_object() && body_json.contains("token") && body_json["token"].is_string()) {
        claims = JwtClaims(body_json["token"].get<std::string>());
      }
      if (claims.is_object() && claims.contains("evaluation") && claims["evaluation"].is_object()) {
        const nlohmann::json& ev = claims["evaluation"];
        if (ev.contains("verdict") && ev["verdict"].is_string()) {
          status_.set_verdict(ev["verdict"].get<std::string>());
        }
        if (ev.contains("checks") && ev["checks"].is_object()) {
          for (const auto& [k, v] : ev["checks"].items()) {
            (*status_.mutable_checks())[k] = v.is_string() ? v.get<std::string>() : v.dump();
          }
        }
      }
      if (claims.is_object() && claims.contains("measurement") &&
          claims["measurement"].is_string()) {
        status_.set_measurement(claims["measurement"].get<std::string>());
      }
    } else {
      status_.set_state("denied");
      status_.set_verdict("reject");
      status_.set_reason(refusal);
    }
  } else if (absl::StartsWith(path, "/kbs/v0/resource/")) {
    if (http_status == 200) {
      status_.set_resources_released(status_.resources_released() + 1);
      status_.set_released_unix_ms(now);
      status_.set_state("released");
    } else {
      status_.set_resources_denied(status_.resources_denied() + 1);
      if (status_.resources_released() == 0) status_.set_state("denied");
      status_.set_reason(absl::StrCat(path.substr(17), ": ", refusal));
    }
  }
}

absl::StatusOr<std::vector<uint8_t>> HttpKbsRelay::Exchange(std::span<const uint8_t> frame,
                                                            size_t max_answer) {
  ap::KbsRelayRequest h{};
  if (frame.size() < sizeof(h)) return absl::InvalidArgumentError("KBS relay frame too short");
  std::memcpy(&h, frame.data(), sizeof(h));
  if (h.magic != ap::kKbsRelayMagic || h.path_len > ap::kKbsMaxPath ||
      h.cookie_len > ap::kKbsMaxCookie ||
      uint64_t{sizeof(h)} + h.path_len + h.cookie_len + h.body_len != frame.size()) {
    return absl::InvalidArgumentError("KBS relay frame: bad magic or inconsistent lengths");
  }
  const char* p = reinterpret_cast<const char*>(frame.data()) + sizeof(h);
  const std::string path(p, h.path_len);
  const std::string cookie(p + h.path_len, h.cookie_len);
  std::string body(p + h.path_len + h.cookie_len, h.body_len);

  uint32_t http_status = 0;
  std::string answer_cookie;
  std::string answer_body;
  if (h.op == ap::kKbsOpCertificates) {
    std::vector<uint8_t> certs = Certificates(&http_status);
    answer_body.assign(certs.begin(), certs.end());
  } else if (h.op == ap::kKbsOpGet || h.op == ap::kKbsOpPost) {
    const bool path_ok =
        (h.op == ap::kKbsOpPost && (path == "/kbs/v0/auth" || path == "/kbs/v0/attest")) ||
        (h.op == ap::kKbsOpGet && absl::StartsWith(path, "/kbs/v0/resource/") &&
         ResourcePathOk(absl::string_view(path).substr(17)));
    if (!path_ok) {
      return absl::InvalidArgumentError(
          absl::StrCat("KBS relay: request path '", path.substr(0, 64), "' is not relayed"));
    }
    for (char c : cookie) {
      if (c <= 0x20 || c >= 0x7f || c == ';') {
        return absl::InvalidArgumentError("KBS relay: bad cookie");
      }
    }
    if (host_.empty()) {
      answer_body = "the partition has no kbs_url";
    } else {
      if ((fault_ == KbsRelayFault::kFlipEvidence || fault_ == KbsRelayFault::kFlipRuntimeData) &&
          path == "/kbs/v0/attest") {
        body = FlipAttest(body, fault_);
        Log(partition_, ": TEST FAULT INJECTOR: flipped one bit (", KbsRelayFaultName(fault_),
            ") in the attest request");
      }
      if (fault_ == KbsRelayFault::kEvidenceOfOtherPartition && path == "/kbs/v0/attest") {
        if (std::string from; SwapInOtherEvidence(partition_, &body, &from)) {
          Log(partition_, ": TEST FAULT INJECTOR: the attest request carries partition '", from,
              "''s evidence");
        }
      }
      httplib::Client client(host_, port_);
      client.set_connection_timeout(3, 0);
      client.set_read_timeout(10, 0);
      client.set_write_timeout(10, 0);
      httplib::Headers headers;
      if (!cookie.empty()) headers.emplace("Cookie", cookie);
      httplib::Result res = h.op == ap::kKbsOpPost
                                ? client.Post(path, headers, body, "application/json")
                                : client.Get(path, headers);
      if (!res) {
        answer_body = absl::StrCat("KBS at ", host_, ":", port_,
                                   " unreachable: ", httplib::to_string(res.error()));
      } else {
        http_status = static_cast<uint32_t>(res->status);
        answer_body = res->body;
        const std::string set_cookie = res->get_header_value("Set-Cookie");
        answer_cookie = set_cookie.substr(0, set_cookie.find(';'));
        if (fault_ == KbsRelayFault::kFlipJwe && http_status == 200 &&
            absl::StartsWith(path, "/kbs/v0/resource/")) {
          answer_body = FlipJwe(answer_body);
          Log(partition_, ": TEST FAULT INJECTOR: flipped one bit of the JWE ciphertext");
        }
      }
    }
    Observe(path, static_cast<int>(http_status), answer_body);
  } else {
    return absl::InvalidArgumentError(absl::StrCat("KBS relay: unknown op ", h.op));
  }
  if (answer_cookie.size() > ap::kKbsMaxCookie) answer_cookie.clear();
  if (answer_body.size() > ap::kKbsMaxResponseBody ||
      sizeof(ap::KbsRelayResponse) + answer_cookie.size() + answer_body.size() > max_answer) {
    http_status = 0;
    answer_cookie.clear();
    answer_body = "the KBS answer is larger than the relay carries";
  }
  ap::KbsRelayResponse r{ap::kKbsRelayMagic, http_status,
                         static_cast<uint32_t>(answer_cookie.size()),
                         static_cast<uint32_t>(answer_body.size())};
  std::vector<uint8_t> out(sizeof(r) + answer_cookie.size() + answer_body.size());
  std::memcpy(out.data(), &r, sizeof(r));
  std::memcpy(out.data() + sizeof(r), answer_cookie.data(), answer_cookie.size());
  std::memcpy(out.data() + sizeof(r) + answer_cookie.size(), answer_body.data(),
              answer_body.size());
  return out;
}

}  // namespace pv::agent
