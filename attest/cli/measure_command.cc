// `pvattest measure`: the launch digests of a partition as the host agent's measured launch
// produces them (attest/measure/launch_image.h): SNP MEASUREMENT and TDX MRTD.
#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "attest/cli/args.h"
#include "attest/cli/commands.h"
#include "attest/measure/launch_files.h"
#if PV_HAVE_EMBEDDED_RESET_ROM
#include "attest/measure/reset_rom.h"
#endif

namespace pv::attest::cli {
namespace {

constexpr const char* kMeasureUsage =
    "usage: pvattest measure --firmware PARAVISOR.elf [--reset-rom RESET.bin]\n"
    "         [--cmdline TEXT] [--guest IMAGE [--guest-cmdline TEXT]]... [--memory MIB]\n"
    "         [--vcpus N] [--json] [--pages]\n"
    "  prints the SEV-SNP launch digest (report MEASUREMENT) and the TDX MRTD of the launch\n"
    "  pv-agent performs for a partition with these files (tee=sev-snp|tdx); the reset stub\n"
    "  ROM defaults to the one built into pvattest (the same bytes pv-agent writes)\n";

bool ParseUint(const std::optional<std::string>& v, uint64_t def, uint64_t* out) {
  if (!v) {
    *out = def;
    return true;
  }
  return absl::SimpleAtoi(*v, out);
}

}  // namespace

int RunMeasure(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  auto args = Args::Parse(
      argv, {"firmware", "reset-rom", "cmdline", "guest", "guest-cmdline", "memory", "vcpus"},
      {"json", "pages", "help"});
  if (!args.ok()) {
    err << "pvattest measure: " << args.status().message() << "\n" << kMeasureUsage;
    return kExitUnusable;
  }
  if (args->Has("help")) {
    out << kMeasureUsage;
    return kExitAccepted;
  }
  measure::LaunchFiles files;
  uint64_t memory = 0, vcpus = 0;
  if (!args->Get("firmware") || !ParseUint(args->Get("memory"), 256, &memory) ||
      !ParseUint(args->Get("vcpus"), 1, &vcpus) || vcpus > 0xFFFFFFFF ||
      !args->positional().empty()) {
    err << kMeasureUsage;
    return kExitUnusable;
  }
  files.firmware = *args->Get("firmware");
  files.reset_rom = args->Get("reset-rom").value_or("");
#if PV_HAVE_EMBEDDED_RESET_ROM
  files.embedded_reset_rom = measure::EmbeddedResetRom();
#endif
  files.firmware_cmdline = args->Get("cmdline").value_or("");
  files.guests = args->GetAll("guest");
  files.guest_cmdlines = args->GetAll("guest-cmdline");
  files.memory_mib = memory;
  files.vcpus = static_cast<uint32_t>(vcpus);
  auto inputs = measure::LoadLaunchInputs(files);
  if (!inputs.ok()) {
    err << "pvattest measure: " << inputs.status().message() << "\n";
    return kExitUnusable;
  }
  auto m = measure::WriteAndMeasureLaunch(*inputs, nullptr);
  if (!m.ok()) {
    err << "pvattest measure: " << m.status().message() << "\n";
    return kExitUnusable;
  }
  const std::string snp = measure::HexDigest(m->snp_launch_digest);
  const std::string mrtd = measure::HexDigest(m->tdx_mrtd);
  if (args->Has("json")) {
    nlohmann::json j = {{"snp_launch_digest", snp}, {"tdx_mrtd", mrtd}, {"pages", m->pages}};
    if (args->Has("pages")) {
      for (const auto& r : m->regions) {
        j["regions"].push_back({{"name", r.name},
                                {"gpa", r.gpa},
                                {"pages", r.pages},
                                {"type", measure::SnpPageTypeName(r.type)}});
      }
    }
    out << j.dump(2) << "\n";
    return kExitAccepted;
  }
  out << "sev-snp launch digest (MEASUREMENT): " << snp << "\n"
      << "tdx MRTD:                            " << mrtd << "\n"
      << "pages measured:                      " << m->pages << "\n";
  if (args->Has("pages")) {
    for (const auto& r : m->regions) {
      out << "  0x" << std::hex << r.gpa << std::dec << "  " << r.pages << " x "
          << measure::SnpPageTypeName(r.type) << "  " << r.name << "\n";
    }
  }
  return kExitAccepted;
}

}  // namespace pv::attest::cli
