#include "access_control.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "file_util.h"
#include "image_policy.h"
#include "log.h"
#include "nlohmann/json.hpp"
#include "unique_fd.h"

namespace pv::agent {

const char* RoleName(Role role) {
  switch (role) {
    case Role::kAdmin:
      return "admin";
    case Role::kReader:
      return "reader";
    default:
      return "none";
  }
}

absl::StatusOr<gid_t> AccessControl::ResolveGroup(const std::string& name) {
  std::vector<char> buf(16384);
  group g, *found = nullptr;
  if (::getgrnam_r(name.c_str(), &g, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("group '", name, "' does not exist"));
  }
  return g.gr_gid;
}

AccessControl::AccessControl(std::string audit_path, bool have_socket_group, gid_t socket_group,
                             bool have_admin_group, gid_t admin_group)
    : audit_path_(std::move(audit_path)),
      have_socket_group_(have_socket_group),
      socket_group_(socket_group),
      have_admin_group_(have_admin_group),
      admin_group_(admin_group) {}

Role AccessControl::RoleOf(const PeerCredentials& peer) const {
  if (peer.uid == 0 || peer.uid == ::geteuid()) return Role::kAdmin;
  // The account's groups (the peer's supplementary groups are not in SO_PEERCRED).
  std::vector<gid_t> groups;
  std::vector<char> buf(16384);
  passwd pw, *found = nullptr;
  if (::getpwuid_r(peer.uid, &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr) {
    int n = 256;
    groups.resize(n);
    if (::getgrouplist(pw.pw_name, pw.pw_gid, groups.data(), &n) < 0) {
      groups.resize(n);  // n now says how many there are
      if (::getgrouplist(pw.pw_name, pw.pw_gid, groups.data(), &n) < 0) n = 0;
    }
    groups.resize(n);
  }
  groups.push_back(peer.gid);
  auto member = [&groups](gid_t g) {
    for (gid_t x : groups) {
      if (x == g) return true;
    }
    return false;
  };
  if (have_admin_group_ && member(admin_group_)) return Role::kAdmin;
  if (have_socket_group_ && member(socket_group_)) return Role::kReader;
  return Role::kNone;
}

void AccessControl::AddConnection(int fd, const PeerCredentials& peer) {
  absl::MutexLock lock(&mu_);
  connections_[fd] = peer;  // a reused fd number replaces the closed connection's entry
}

bool AccessControl::FindPeer(const std::string& grpc_peer, PeerCredentials* out) {
  int fd = -1;
  if (!absl::StartsWith(grpc_peer, "fd:") || !absl::SimpleAtoi(grpc_peer.substr(3), &fd)) {
    return false;
  }
  absl::MutexLock lock(&mu_);
  auto it = connections_.find(fd);
  if (it == connections_.end()) return false;
  *out = it->second;
  return true;
}

grpc::Status AccessControl::Authorize(const grpc::ServerContext* ctx, const char* method,
                                      bool mutating, const std::string& partition) {
  PeerCredentials peer;
  if (!FindPeer(ctx->peer(), &peer)) {
    Log("rpc ", method, " from unknown peer ", Clip(ctx->peer()), ": refused");
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "caller's credentials unknown");
  }
  const Role role = RoleOf(peer);
  const bool allowed = role == Role::kAdmin || (role == Role::kReader && !mutating);
  Log("rpc ", method, partition.empty() ? "" : " ", Clip(partition), " from uid ", peer.uid,
      " pid ", peer.pid, " (", RoleName(role), ")", allowed ? "" : ": refused");
  if (mutating) Audit(peer, method, partition, allowed);
  if (!allowed) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        absl::StrCat(method, " needs the admin role; uid ", peer.uid, " is ",
                                     RoleName(role), " (see --admin-group)"));
  }
  return grpc::Status::OK;
}

void AccessControl::Audit(const PeerCredentials& peer, const char* method,
                          const std::string& partition, bool allowed) {
  nlohmann::json entry = {{"unix_ms", UnixMillisNow()},
                          {"method", method},
                          {"partition", Clip(partition)},
                          {"uid", peer.uid},
                          {"gid", peer.gid},
                          {"pid", peer.pid},
                          {"allowed", allowed}};
  const std::string line =
      entry.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  absl::MutexLock lock(&audit_mu_);
  UniqueFd fd(::open(audit_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (!fd.valid() || ::write(fd.get(), line.data(), line.size()) < 0) {
    Log("cannot append to ", audit_path_, ": ", strerror(errno));
  }
}

}  // namespace pv::agent
