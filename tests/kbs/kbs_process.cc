#include "tests/kbs/kbs_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

namespace pv::kbs::testing {
namespace {

pid_t Spawn(const std::vector<std::string>& argv, const std::string& out_file,
            const std::string& err_file, const std::string& in_file) {
  const pid_t pid = fork();
  if (pid != 0) return pid;
  if (!in_file.empty()) {
    const int in = open(in_file.c_str(), O_RDONLY);
    dup2(in, 0);
  }
  const int out = open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const int err = open(err_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  dup2(out, 1);
  dup2(err, 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execv(args[0], args.data());
  _exit(127);
}

std::string ReadText(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace

KbsProcess::KbsProcess(const SyntheticSnp& snp, const SyntheticTdx& tdx,
                       const std::vector<std::string>& extra) {
  char tmpl[] = "/tmp/pv-kbs-test-XXXXXX";
  dir_ = mkdtemp(tmpl);
  WriteFile(dir_ + "/snp-ark.pem", snp.ArkPem());
  WriteFile(dir_ + "/tdx-root.pem", tdx.RootPem());
  tdx.WriteCollateral(dir_ + "/tdx-collateral");
  std::vector<std::string> argv = {
      PV_KBS_BINARY,          "--listen",         "127.0.0.1:0",           "--store",
      dir_ + "/store",        "--snp-allow-root", dir_ + "/snp-ark.pem",   "--tdx-allow-root",
      dir_ + "/tdx-root.pem", "--tdx-collateral", dir_ + "/tdx-collateral"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  pid_ = Spawn(argv, dir_ + "/stdout", dir_ + "/stderr", "");
  const std::regex listening(R"(listening on http://127\.0\.0\.1:([0-9]+))");
  for (int i = 0; i < 600 && port_ == 0; ++i) {
    std::smatch m;
    const std::string log = Log();
    if (std::regex_search(log, m, listening)) {
      port_ = std::atoi(m[1].str().c_str());
      break;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

KbsProcess::~KbsProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  std::system(("rm -rf '" + dir_ + "'").c_str());
}

std::string KbsProcess::Log() const {
  return ReadText(dir_ + "/stderr");
}

int KbsProcess::Admin(const std::vector<std::string>& args, std::string* out,
                      const std::string& stdin_file) const {
  std::vector<std::string> argv = {PVKBS_BINARY, "--socket", admin_socket()};
  argv.insert(argv.end(), args.begin(), args.end());
  const pid_t pid = Spawn(argv, dir_ + "/admin.out", dir_ + "/admin.err", stdin_file);
  int status = 0;
  waitpid(pid, &status, 0);
  if (out != nullptr) *out = ReadText(dir_ + "/admin.out") + ReadText(dir_ + "/admin.err");
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string KbsClient::Auth(const std::string& tee, int* status) {
  const Json req = {{"version", "0.4.0"}, {"tee", tee}, {"extra-params", ""}};
  auto res = http_.Post("/kbs/v0/auth", req.dump(), "application/json");
  if (status != nullptr) *status = res ? res->status : -1;
  if (!res || res->status != 200) return "";
  const std::regex cookie("kbs-session-id=([0-9a-f]+)");
  std::smatch m;
  const std::string set_cookie = res->get_header_value("Set-Cookie");
  if (std::regex_search(set_cookie, m, cookie)) cookie_ = m[1];
  const Json body = Json::parse(res->body, nullptr, false);
  return body.is_object() ? body.value("nonce", "") : "";
}

int KbsClient::Raw(const std::string& method, const std::string& path, const std::string& body,
                   Json* response) {
  httplib::Headers headers;
  if (!cookie_.empty()) headers.emplace("Cookie", "kbs-session-id=" + cookie_);
  if (!bearer_.empty()) headers.emplace("Authorization", "Bearer " + bearer_);
  httplib::Result res =
      method == "GET"      ? http_.Get(path.c_str(), headers)
      : method == "PUT"    ? http_.Put(path.c_str(), headers, body, "application/json")
      : method == "DELETE" ? http_.Delete(path.c_str(), headers)
                           : http_.Post(path.c_str(), headers, body, "application/json");
  if (!res) return -1;
  if (response != nullptr) *response = Json::parse(res->body, nullptr, false);
  return res->status;
}

int KbsClient::Attest(const Json& body, Json* response) {
  return Raw("POST", "/kbs/v0/attest", body.dump(), response);
}

int KbsClient::Resource(const std::string& path, Json* response) {
  return Raw("GET", "/kbs/v0/resource/" + path, "", response);
}

Json AttestBody(const Json& runtime_data, const Json& evidence) {
  return Json{{"runtime-data", runtime_data},
              {"tee-evidence", {{"primary_evidence", evidence}, {"additional_evidence", ""}}}};
}

}  // namespace pv::kbs::testing
