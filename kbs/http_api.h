// The attester-facing HTTP listener (cpp-httplib): trustee's KBS routes under /kbs/v0 and
// nothing else. Admin routes trustee serves on the same port (resource upload, policies) are
// answered 401 AdminAuth here: administration happens only on the admin socket.
#ifndef PV_KBS_HTTP_API_H_
#define PV_KBS_HTTP_API_H_

#include <httplib.h>

#include "kbs/kbs_service.h"

namespace pv::kbs {

inline constexpr char kSessionCookie[] = "kbs-session-id";

void InstallRoutes(httplib::Server* server, KbsService* service);

// The kbs-session-id value of a Cookie header ("" if absent); bounded and hex-only.
std::string SessionIdFromCookie(const std::string& cookie_header);

}  // namespace pv::kbs

#endif  // PV_KBS_HTTP_API_H_
