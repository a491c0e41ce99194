// Key broker throughput, printed next to the bare attest/ verification of the same evidence
// measured in the same run (interleaved rounds). In-process rates are per second of this
// thread's CPU time (CLOCK_THREAD_CPUTIME_ID): one core's cost, independent of how busy the
// shared machine is; the HTTP and concurrency runs are wall-clock.
//
//   in-process, one thread: KbsService auth + attest + resource release (session table, JSON
//     parsing, JCS binding, SnpVerifier/TdxVerifier, policy, ES256 token, JWE to a P-256 key,
//     decision log) vs SnpVerifier::Verify + EvaluateSnpPolicy (TDX: TdxVerifier::Verify +
//     EvaluateTdxPolicy) of the same reports. Goal: >= 0.8x.
//   over HTTP: the real pv-kbs process with one worker thread, one client doing the same flow.
//   concurrency: 200 clients at once against pv-kbs, each auth -> attest -> resource -> decrypt;
//     every one must succeed.
// The attester's own work (signing reports, making quotes) is done between the timed calls.
#include <time.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "attest/policy/snp_policy.h"
#include "attest/policy/tdx_policy.h"
#include "kbs/appraiser.h"
#include "kbs/jwe.h"
#include "kbs/jwk.h"
#include "kbs/kbs_service.h"
#include "kbs/protocol.h"
#include "kbs/runtime_data.h"
#include "kbs/token_signer.h"
#include "tests/kbs/kbs_process.h"
#include "tests/kbs/kbs_test_support.h"

namespace pv::kbs::testing {
namespace {

using Clock = std::chrono::steady_clock;
using pv::kbs::Appraisal;
constexpr char kSecret[] = "benchmark secret";

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "bench_kbs: %s\n", what.c_str());
  std::exit(2);
}

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

std::array<uint8_t, 48> Measurement() {
  std::array<uint8_t, 48> m{};
  m.fill(0x42);
  return m;
}
std::string Mrtd() {
  return std::string(48, '\x33');
}

std::string PolicyText() {
  const auto m = Measurement();
  const std::string t = Mrtd();
  return Json{{"attestation",
               {{"snp", {{"measurements", {Hex(m.data(), 48)}}, {"vmpl", 0}}},
                {"tdx", {{"mr_td", {Hex(reinterpret_cast<const uint8_t*>(t.data()), 48)}}}}}},
              {"resources", Json::array({{{"path", "default/key/bench"}}})}}
      .dump();
}

// The bare verifier trusts the same synthetic ARK the KBS was configured with.
attest::TrustStore TrustArk(const SyntheticSnp& snp) {
  attest::TrustStore trust;
  const std::string pem = snp.ArkPem();
  auto certs = attest::ParseCertificates(attest::Bytes(pem.begin(), pem.end()), "ark");
  if (!certs.ok() || !trust.AddAllowed(std::move((*certs)[0]), "ark").ok()) Die("ark");
  return trust;
}

// CPU time of this thread: what one core spends, whatever else the shared machine runs.
double ThreadSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

struct Rates {
  double kbs = 0, bare = 0;
  double auth_us = 0, attest_us = 0, resource_us = 0;  // per operation
};

// One TEE's in-process comparison: `rounds` rounds of `batch` sessions.
Rates InProcess(bool snp_tee, bool base64, const SyntheticSnp& snp, const SyntheticTdx& tdx,
                KbsService* service, const std::string& collateral_dir, const std::string& tdx_root,
                int rounds, int batch) {
  const AttesterKey key = MakeAttesterKey("P-256");
  const auto policy = ParseKbsPolicy(PolicyText());
  attest::snp::SnpVerifier bare_snp(TrustArk(snp));
  attest::tdx::TdxVerifier bare_tdx;
  auto collateral =
      attest::tdx::LoadCollateralFromDirectory(collateral_dir, {"90c06f000000", "platform"});
  if (!collateral.ok()) Die(std::string(collateral.status().message()));
  attest::tdx::TdxVerifyOptions options;
  options.root_certificate = tdx_root;
  options.allow_unpinned_root = true;

  const attest::Bytes vcek = snp.VcekDer();
  const std::string chain_pem = snp.ChainPem();
  const attest::Bytes chain(chain_pem.begin(), chain_pem.end());
  double kbs_auth = 0, attest_time = 0, resource_time = 0, bare_time = 0;
  long kbs_ops = 0, bare_ops = 0;
  const std::string tee = snp_tee ? "snp" : "tdx";
  for (int r = 0; r < rounds; ++r) {
    std::vector<AuthResult> auths(static_cast<size_t>(batch));
    const Json auth_req = {{"version", "0.4.0"}, {"tee", tee}};
    double t0 = ThreadSeconds();
    for (auto& a : auths) {
      auto res = service->Auth(auth_req.dump());
      if (!res.ok()) Die(std::string(res.status().message()));
      a = std::move(*res);
    }
    const double auth_time = ThreadSeconds() - t0;
    kbs_auth += auth_time;
    // Attester side (untimed): evidence bound to each session.
    std::vector<std::string> bodies;
    std::vector<attest::Bytes> raw;
    for (const auto& a : auths) {
      const Json rd = RuntimeData(a.challenge["nonce"], key.public_jwk);
      if (snp_tee) {
        SnpSpec spec;
        spec.measurement = Measurement();
        raw.push_back(snp.Report(spec, Binding(rd)));
        bodies.push_back(AttestBody(rd, snp.Evidence(raw.back(), base64)).dump());
      } else {
        TdxSpec spec;
        spec.mr_td = Mrtd();
        raw.push_back(tdx.Quote(spec, Binding(rd)));
        bodies.push_back(AttestBody(rd, SyntheticTdx::Evidence(raw.back())).dump());
      }
    }
    for (size_t i = 0; i < auths.size(); ++i) {
      t0 = ThreadSeconds();
      auto token = service->Attest(auths[i].session_id, bodies[i]);
      if (!token.ok()) Die(std::string(token.status().message()));
      const double t1 = ThreadSeconds();
      auto jwe = service->Resource(auths[i].session_id, "default", "key", "bench");
      if (!jwe.ok()) Die(std::string(jwe.status().message()));
      const double t2 = ThreadSeconds();
      attest_time += t1 - t0;
      resource_time += t2 - t1;
    }
    kbs_ops += batch;
    // Bare verification of the same evidence.
    const attest::UnixTime now = attest::CurrentUnixTime();
    options.now = absl::FromUnixSeconds(now);
    t0 = ThreadSeconds();
    for (const auto& ev : raw) {
      if (snp_tee) {
        auto v = bare_snp.Verify(ev, vcek, chain, now);
        if (!v.ok() || !v->result.Accepted()) Die("bare SNP verification failed");
        if (attest::policy::EvaluateSnpPolicy(policy->attestation.snp, v->report, v->layout)
                .verdict != "accept") {
          Die("bare SNP policy failed");
        }
      } else {
        auto v = bare_tdx.Verify(std::string(ev.begin(), ev.end()), *collateral, options);
        if (!v.ok() || !v->Accepted()) Die("bare TDX verification failed");
        if (attest::policy::EvaluateTdxPolicy(policy->attestation.tdx, *v).verdict != "accept") {
          Die("bare TDX policy failed");
        }
      }
    }
    bare_time += ThreadSeconds() - t0;
    bare_ops += batch;
  }
  const double kbs_time = kbs_auth + attest_time + resource_time;
  return Rates{kbs_ops / kbs_time, bare_ops / bare_time, 1e6 * kbs_auth / kbs_ops,
               1e6 * attest_time / kbs_ops, 1e6 * resource_time / kbs_ops};
}

// Mean thread-CPU microseconds of `op` over `n` calls.
double CpuMicros(int n, const std::function<void()>& op) {
  const double t0 = ThreadSeconds();
  for (int i = 0; i < n; ++i) op();
  return 1e6 * (ThreadSeconds() - t0) / n;
}

// Each step of one attest + release, timed alone on the same evidence (the service's own
// composition of them is what InProcess measures).
void Breakdown(bool snp_tee, const SyntheticSnp& snp, const SyntheticTdx& tdx,
               const pv::kbs::Store* store, const pv::kbs::AppraiserConfig& appraiser_config,
               const std::string& key_path, const std::string& collateral_dir,
               const std::string& tdx_root, int n) {
  const AttesterKey key = MakeAttesterKey("P-256");
  const auto policy = ParseKbsPolicy(PolicyText());
  const Json rd = RuntimeData("bm9uY2Vub25jZW5vbmNlbm9uY2Vub25jZW5vbmNlbm8=", key.public_jwk);
  attest::Bytes raw;
  std::string body;
  if (snp_tee) {
    SnpSpec spec;
    spec.measurement = Measurement();
    raw = snp.Report(spec, Binding(rd));
    body = AttestBody(rd, snp.Evidence(raw)).dump();
  } else {
    TdxSpec spec;
    spec.mr_td = Mrtd();
    raw = tdx.Quote(spec, Binding(rd));
    body = AttestBody(rd, SyntheticTdx::Evidence(raw)).dump();
  }
  auto appraiser = pv::kbs::Appraiser::Create(appraiser_config);
  auto signer = pv::kbs::TokenSigner::LoadOrCreate(key_path);
  if (!appraiser.ok() || !signer.ok()) Die("breakdown setup");
  auto req = pv::kbs::ParseAttestRequest(body);
  auto pub = pv::kbs::ParseTeePublicKey(req->tee_pubkey);
  auto binding = pv::kbs::RuntimeDataBinding(req->runtime_data);
  if (!req.ok() || !pub.ok() || !binding.ok()) Die("breakdown parse");
  const attest::UnixTime now = attest::CurrentUnixTime();
  const pv::kbs::TeeKind tee = snp_tee ? pv::kbs::TeeKind::kSnp : pv::kbs::TeeKind::kTdx;
  attest::snp::SnpVerifier bare_snp(TrustArk(snp));
  attest::tdx::TdxVerifier bare_tdx;
  auto collateral =
      attest::tdx::LoadCollateralFromDirectory(collateral_dir, {"90c06f000000", "platform"});
  attest::tdx::TdxVerifyOptions options;
  options.root_certificate = tdx_root;
  options.allow_unpinned_root = true;
  options.now = absl::FromUnixSeconds(now);
  const attest::Bytes vcek = snp.VcekDer();
  const std::string chain_pem = snp.ChainPem();
  const attest::Bytes chain(chain_pem.begin(), chain_pem.end());
  const attest::Bytes secret(kSecret, kSecret + sizeof(kSecret) - 1);
  const Json claims = {{"iss", "pv-kbs"},
                       {"tee", snp_tee ? "snp" : "tdx"},
                       {"tee-pubkey", pub->jwk},
                       {"evaluation", {{"verdict", "accept"}}}};
  const double bare = CpuMicros(n, [&] {
    if (snp_tee) {
      auto v = bare_snp.Verify(raw, vcek, chain, now);
      if (!v.ok() ||
          attest::policy::EvaluateSnpPolicy(policy->attestation.snp, v->report, v->layout)
                  .verdict != "accept") {
        Die("bare");
      }
    } else {
      auto v = bare_tdx.Verify(std::string(raw.begin(), raw.end()), *collateral, options);
      if (!v.ok() ||
          attest::policy::EvaluateTdxPolicy(policy->attestation.tdx, *v).verdict != "accept") {
        Die("bare");
      }
    }
  });
  const double parse = CpuMicros(n, [&] { (void)pv::kbs::ParseAttestRequest(body); });
  const double jwk = CpuMicros(n, [&] { (void)pv::kbs::ParseTeePublicKey(req->tee_pubkey); });
  const double bind = CpuMicros(n, [&] { (void)pv::kbs::RuntimeDataBinding(req->runtime_data); });
  const double appraise = CpuMicros(n, [&] {
    if (!(*appraiser)
             ->Appraise(tee, req->primary_evidence, *binding, policy->attestation, now)
             .accepted) {
      Die("appraise");
    }
  });
  const double sign = CpuMicros(n, [&] { (void)signer->Sign(claims); });
  // Bookkeeping around the steps: the three decision-log lines of a flow (attest's with every
  // check) and reading the resource from the store.
  const Appraisal appraisal =
      (*appraiser)->Appraise(tee, req->primary_evidence, *binding, policy->attestation, now);
  pv::kbs::DecisionLog log(store->DecisionLogPath(), false);
  const double logging = CpuMicros(n, [&] {
    log.Record("auth", "allow", "challenge issued", {{"session", "0123abcd"}, {"tee", "snp"}});
    log.Record("attest", "allow", "evidence verified and policy accepted",
               {{"session", "0123abcd"},
                {"checks", appraisal.checks},
                {"measurement", appraisal.measurement}});
    log.Record("resource", "allow", "released",
               {{"session", "0123abcd"}, {"resource", "default/key/bench"}});
  });
  auto path = pv::kbs::ParseResourcePath("default/key/bench");
  const double read = CpuMicros(n, [&] { (void)store->GetResource(*path); });
  const double jwe = CpuMicros(n, [&] { (void)pv::kbs::EncryptJwe(*pub, secret); });
  std::printf("| %s | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f |\n",
              snp_tee ? "SNP" : "TDX", bare, parse, jwk, bind, appraise, sign, jwe, logging, read,
              parse + jwk + bind + appraise + sign + jwe + logging + read);
}

double OverHttp(const SyntheticSnp& snp, int port, int flows) {
  const AttesterKey key = MakeAttesterKey("P-256");
  double t = 0;
  for (int i = 0; i < flows; ++i) {
    KbsClient c(port);
    auto t0 = Clock::now();
    const std::string nonce = c.Auth("snp");
    t += Seconds(t0, Clock::now());
    const Json rd = RuntimeData(nonce, key.public_jwk);
    SnpSpec spec;
    spec.measurement = Measurement();
    const Json body = AttestBody(rd, snp.Evidence(snp.Report(spec, Binding(rd))));
    Json resp, jwe;
    t0 = Clock::now();
    if (c.Attest(body, &resp) != 200 || c.Resource("default/key/bench", &jwe) != 200) {
      Die("HTTP flow failed: " + resp.dump());
    }
    t += Seconds(t0, Clock::now());
  }
  return flows / t;
}

int Concurrent(const SyntheticSnp& snp, const SyntheticTdx& tdx, int port, int clients,
               double* seconds) {
  std::atomic<int> errors{0}, ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  const auto t0 = Clock::now();
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back([&, i] {
      const AttesterKey key = MakeAttesterKey("P-256");
      ++ready;
      while (!go) std::this_thread::yield();
      KbsClient c(port);
      const bool use_snp = i % 2 == 0;
      const Json rd = RuntimeData(c.Auth(use_snp ? "snp" : "tdx"), key.public_jwk);
      Json body;
      if (use_snp) {
        SnpSpec spec;
        spec.measurement = Measurement();
        body = AttestBody(rd, snp.Evidence(snp.Report(spec, Binding(rd))));
      } else {
        TdxSpec spec;
        spec.mr_td = Mrtd();
        body = AttestBody(rd, SyntheticTdx::Evidence(tdx.Quote(spec, Binding(rd))));
      }
      Json resp, jwe;
      const int a = c.Attest(body, &resp);
      const int r = a == 200 ? c.Resource("default/key/bench", &jwe) : 0;
      if (a != 200 || r != 200) {
        std::fprintf(stderr, "bench_kbs: client %d: attest %d resource %d %s %s\n", i, a, r,
                     resp.dump().c_str(), jwe.dump().c_str());
        ++errors;
        return;
      }
      auto pt = DecryptJwe(jwe, key.key.get());
      if (!pt.ok() || std::string(pt->begin(), pt->end()) != kSecret) ++errors;
    });
  }
  while (ready < clients) std::this_thread::yield();
  go = true;
  for (auto& t : threads) t.join();
  *seconds = Seconds(t0, Clock::now());
  return errors;
}

}  // namespace
}  // namespace pv::kbs::testing

int main(int argc, char** argv) {
  using namespace pv::kbs::testing;
  int rounds = argc > 1 ? std::atoi(argv[1]) : 6;
  const int batch = 50;
  SyntheticSnp snp;
  SyntheticTdx tdx;
  KbsProcess kbs(snp, tdx, {"--threads", "1", "--quiet", "--max-sessions", "1024"});
  if (!kbs.running()) Die("pv-kbs did not start: " + kbs.Log());
  WriteFile(kbs.dir() + "/policy.json", PolicyText());
  WriteFile(kbs.dir() + "/secret", kSecret);
  if (kbs.Admin({"set-policy", kbs.dir() + "/policy.json"}) != 0 ||
      kbs.Admin({"set-resource", "default/key/bench", kbs.dir() + "/secret"}) != 0) {
    Die("admin setup failed");
  }
  // The in-process service uses its own store with the same policy, trust and collateral.
  auto store = pv::kbs::Store::Open(kbs.dir() + "/inproc");
  if (!store.ok() || !store->PutPolicy(PolicyText()).ok()) Die("store");
  auto path = pv::kbs::ParseResourcePath("default/key/bench");
  (void)store->PutResource(*path, pv::attest::Bytes(kSecret, kSecret + sizeof(kSecret) - 1));
  pv::kbs::DecisionLog log(store->DecisionLogPath(), false);
  pv::kbs::ServiceConfig config;
  config.limits.max_sessions = 1024;
  config.appraiser.snp_allowed_roots = {kbs.dir() + "/snp-ark.pem"};
  config.appraiser.tdx_allowed_root = kbs.dir() + "/tdx-root.pem";
  config.appraiser.tdx_collateral_dir = kbs.dir() + "/tdx-collateral";
  auto service = pv::kbs::KbsService::Create(std::move(*store), config, &log);
  if (!service.ok()) Die(std::string(service.status().message()));

  auto breakdown_store = pv::kbs::Store::Open(kbs.dir() + "/inproc");
  if (!breakdown_store.ok()) Die("store");
  std::printf(
      "thread CPU us per step (%d calls each): | TEE | bare verify+policy | parse attest body | "
      "tee-pubkey JWK | runtime-data binding | appraise (verify+policy) | token ES256 | JWE | "
      "3 decision-log lines | resource read | sum "
      "|\n|---|---|---|---|---|---|---|---|---|---|---|\n",
      rounds * 50);
  Breakdown(true, snp, tdx, &*breakdown_store, config.appraiser,
            kbs.dir() + "/inproc/token-key.pem", kbs.dir() + "/tdx-collateral", tdx.RootPem(),
            rounds * 50);
  Breakdown(false, snp, tdx, &*breakdown_store, config.appraiser,
            kbs.dir() + "/inproc/token-key.pem", kbs.dir() + "/tdx-collateral", tdx.RootPem(),
            rounds * 50);
  std::printf("\n");
  const Rates b = InProcess(true, true, snp, tdx, service->get(), kbs.dir() + "/tdx-collateral",
                            tdx.RootPem(), rounds, batch);
  const Rates s = InProcess(true, false, snp, tdx, service->get(), kbs.dir() + "/tdx-collateral",
                            tdx.RootPem(), rounds, batch);
  const Rates t = InProcess(false, false, snp, tdx, service->get(), kbs.dir() + "/tdx-collateral",
                            tdx.RootPem(), rounds, batch);
  const double http = OverHttp(snp, kbs.port(), rounds * batch);
  double concurrent_seconds = 0;
  const int errors = Concurrent(snp, tdx, kbs.port(), 200, &concurrent_seconds);
  std::printf("| measurement | rate | ratio | goal |\n|---|---|---|---|\n");
  std::printf("| bare SNP verify + policy (attest/) | %.0f/s | | |\n", s.bare);
  std::printf(
      "| KBS SNP auth+attest+release, in-process, 1 thread | %.0f/s | %.2f of bare | >= 0.8 |\n",
      s.kbs, s.kbs / s.bare);
  std::printf("| same, SNP byte strings as base64 | %.0f/s | %.2f of bare (%.0f/s) | >= 0.8 |\n",
              b.kbs, b.kbs / b.bare, b.bare);
  std::printf(
      "| KBS SNP over HTTP, pv-kbs --threads 1, 1 client | %.0f/s | %.2f of bare (not interleaved) "
      "| |\n",
      http, http / s.bare);
  std::printf("| bare TDX verify + policy (attest/) | %.0f/s | | |\n", t.bare);
  std::printf(
      "| KBS TDX auth+attest+release, in-process, 1 thread | %.0f/s | %.2f of bare | >= 0.8 |\n",
      t.kbs, t.kbs / t.bare);
  std::printf(
      "\nper flow (us): snp auth %.0f attest %.0f resource %.0f; tdx auth %.0f attest %.0f "
      "resource %.0f; bare snp %.0f tdx %.0f\n\n",
      s.auth_us, s.attest_us, s.resource_us, t.auth_us, t.attest_us, t.resource_us, 1e6 / s.bare,
      1e6 / t.bare);
  std::printf(
      "| 200 concurrent clients (SNP+TDX), pv-kbs --threads 1 | %d errors | %.2f s wall | 0 errors "
      "|\n",
      errors, concurrent_seconds);
  return errors == 0 ? 0 : 1;
}
