#include "kbs/http_api.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "kbs/jwt.h"
#include "kbs/kbs_error.h"

namespace pv::kbs {
namespace {

constexpr char kJson[] = "application/json";

void SendError(const absl::Status& status, httplib::Response& res) {
  const HttpError e = ToHttpError(status);
  res.status = e.status;
  res.set_content(e.body, kJson);
}

void SendJson(const nlohmann::json& body, httplib::Response& res) {
  res.status = 200;
  res.set_content(body.dump(), kJson);
}

std::string Cookie(const httplib::Request& req) {
  return SessionIdFromCookie(req.get_header_value("Cookie"));
}

void AdminNotHere(const httplib::Request& req, httplib::Response& res, KbsService* service) {
  service->log().Record(
      "admin", "deny", "admin request on the attester listener",
      {{"method", req.method}, {"path", req.path.substr(0, 128)}, {"peer", req.remote_addr}});
  SendError(KbsError(absl::StatusCode::kUnauthenticated, "AdminAuth",
                     "the admin API is not served on the attester listener"),
            res);
}

}  // namespace

std::string SessionIdFromCookie(const std::string& header) {
  if (header.size() > 4096) return "";
  for (absl::string_view part : absl::StrSplit(header, ';')) {
    part = absl::StripAsciiWhitespace(part);
    if (absl::ConsumePrefix(&part, "kbs-session-id=")) {
      if (part.size() != 32) return "";
      for (char c : part) {
        if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return "";
      }
      return std::string(part);
    }
  }
  return "";
}

void InstallRoutes(httplib::Server* server, KbsService* service) {
  server->Post("/kbs/v0/auth", [service](const httplib::Request& req, httplib::Response& res) {
    auto r = service->Auth(req.body);
    if (!r.ok()) return SendError(r.status(), res);
    res.set_header("Set-Cookie",
                   absl::StrCat(kSessionCookie, "=", r->session_id, "; Path=/kbs/v0; Max-Age=",
                                service->sessions().limits().session_ttl, "; HttpOnly"));
    SendJson(r->challenge, res);
  });
  server->Post("/kbs/v0/attest", [service](const httplib::Request& req, httplib::Response& res) {
    auto r = service->Attest(Cookie(req), req.body);
    if (!r.ok()) return SendError(r.status(), res);
    SendJson(*r, res);
  });
  const char* kResource = R"(/kbs/v0/resource/([^/]+)/([^/]+)/([^/]+))";
  server->Get(kResource, [service](const httplib::Request& req, httplib::Response& res) {
    auto r = service->Resource(Cookie(req), BearerToken(req.get_header_value("Authorization")),
                               req.matches[1], req.matches[2], req.matches[3]);
    if (!r.ok()) return SendError(r.status(), res);
    SendJson(*r, res);
  });
  // trustee's admin endpoints: refused here, by design.
  auto admin = [service](const httplib::Request& req, httplib::Response& res) {
    AdminNotHere(req, res, service);
  };
  for (const char* path : {R"(/kbs/v0/resource/.*)", R"(/kbs/v0/resource-policy.*)",
                           R"(/kbs/v0/attestation-policy.*)", R"(/kbs/v0/admin.*)"}) {
    server->Post(path, admin);
    server->Put(path, admin);
    server->Delete(path, admin);
  }
  server->Get(R"(/kbs/v0/(resource-policy|attestation-policy|admin).*)", admin);
  server->set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    const absl::StatusCode code =
        res.status == 404 ? absl::StatusCode::kNotFound : absl::StatusCode::kInvalidArgument;
    SendError(KbsError(code, res.status == 404 ? "NotFound" : "InvalidRequest",
                       absl::StrCat("HTTP ", res.status, " for ", req.method, " ",
                                    req.path.substr(0, 128))),
              res);
  });
}

}  // namespace pv::kbs
