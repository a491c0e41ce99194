// pvkbs: the KBS admin CLI, talking to pv-kbs's admin Unix socket.
//   pvkbs [--socket PATH] set-resource REPO/TYPE/TAG FILE     (FILE "-" = stdin)
//   pvkbs [--socket PATH] get-resource REPO/TYPE/TAG          (raw bytes on stdout)
//   pvkbs [--socket PATH] delete-resource REPO/TYPE/TAG
//   pvkbs [--socket PATH] list-resources
//   pvkbs [--socket PATH] set-policy FILE
//   pvkbs [--socket PATH] get-policy
//   pvkbs [--socket PATH] decisions [N]
//   pvkbs [--socket PATH] status
// The socket defaults to $PV_KBS_ADMIN_SOCKET. Exit status: 0 ok, 1 refused by the KBS, 2 usage
// or connection error.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <iterator>
#include <string>

#include <nlohmann/json.hpp>

#include "attest/common/bytes.h"
#include "kbs/base64.h"

namespace {

using Json = nlohmann::json;

int Usage() {
  std::fprintf(stderr,
               "usage: pvkbs [--socket PATH] set-resource PATH FILE | get-resource PATH |\n"
               "             delete-resource PATH | list-resources | set-policy FILE |\n"
               "             get-policy | decisions [N] | status\n");
  return 2;
}

bool ReadInput(const std::string& file, std::string* out) {
  if (file == "-") {
    out->assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    return true;
  }
  auto bytes = pv::attest::ReadFileBytes(file, 4 * 1024 * 1024);
  if (!bytes.ok()) {
    std::fprintf(stderr, "pvkbs: %s\n", std::string(bytes.status().message()).c_str());
    return false;
  }
  out->assign(bytes->begin(), bytes->end());
  return true;
}

bool Call(const std::string& socket_path, const Json& request, Json* response) {
  sockaddr_un addr{};
  if (socket_path.empty() || socket_path.size() >= sizeof(addr.sun_path)) {
    std::fprintf(stderr, "pvkbs: no admin socket (--socket or PV_KBS_ADMIN_SOCKET)\n");
    return false;
  }
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    std::fprintf(stderr, "pvkbs: cannot connect to %s: %s\n", socket_path.c_str(),
                 std::strerror(errno));
    if (fd >= 0) ::close(fd);
    return false;
  }
  const std::string body = request.dump();
  size_t done = 0;
  while (done < body.size()) {
    const ssize_t n = ::send(fd, body.data() + done, body.size() - done, MSG_NOSIGNAL);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  std::string reply;
  char buf[16384];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof(buf))) > 0 && reply.size() < 16 * 1024 * 1024) {
    reply.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  *response = Json::parse(reply, nullptr, false);
  if (response->is_discarded() || !response->is_object()) {
    std::fprintf(stderr, "pvkbs: the KBS sent no valid reply\n");
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string socket_path;
  if (const char* env = std::getenv("PV_KBS_ADMIN_SOCKET")) socket_path = env;
  int i = 1;
  if (i + 1 < argc && std::string(argv[i]) == "--socket") {
    socket_path = argv[i + 1];
    i += 2;
  }
  if (i >= argc) return Usage();
  const std::string cmd = argv[i++];
  const int rest = argc - i;
  Json req = {{"op", cmd}};
  if ((cmd == "set-resource" && rest == 2)) {
    std::string value;
    if (!ReadInput(argv[i + 1], &value)) return 2;
    req["path"] = argv[i];
    req["value"] = pv::kbs::Base64Encode(
        pv::attest::ByteSpan(reinterpret_cast<const uint8_t*>(value.data()), value.size()));
  } else if ((cmd == "get-resource" || cmd == "delete-resource") && rest == 1) {
    req["path"] = argv[i];
  } else if (cmd == "set-policy" && rest == 1) {
    std::string text;
    if (!ReadInput(argv[i], &text)) return 2;
    req["policy"] = Json::parse(text, nullptr, false);
    if (!req["policy"].is_object()) {
      std::fprintf(stderr, "pvkbs: %s is not a JSON object\n", argv[i]);
      return 2;
    }
  } else if (cmd == "decisions" && rest <= 1) {
    req["limit"] = rest == 1 ? std::strtoul(argv[i], nullptr, 10) : 50;
  } else if (!((cmd == "list-resources" || cmd == "get-policy" || cmd == "status") && rest == 0)) {
    return Usage();
  }
  Json resp;
  if (!Call(socket_path, req, &resp)) return 2;
  if (!resp.value("ok", false)) {
    std::fprintf(stderr, "pvkbs: %s\n", resp.value("error", std::string("refused")).c_str());
    return 1;
  }
  if (cmd == "get-resource") {
    auto value = pv::kbs::Base64Decode(resp.value("value", std::string()));
    if (!value.ok()) return 2;
    std::fwrite(value->data(), 1, value->size(), stdout);
  } else if (cmd == "list-resources") {
    for (const auto& p : resp["resources"]) std::printf("%s\n", p.get<std::string>().c_str());
  } else if (cmd == "get-policy") {
    std::printf("%s\n", resp["policy"].dump(2).c_str());
  } else if (cmd == "decisions") {
    for (const auto& d : resp["decisions"]) std::printf("%s\n", d.dump().c_str());
  } else if (cmd == "status") {
    resp.erase("ok");
    std::printf("%s\n", resp.dump(2).c_str());
  }
  return 0;
}
