// Writes the seed corpus for exit_message_fuzzer: one valid message of every type (built with
// flatc-generated code) plus an unknown type, into the directory given as argv[1].
#include <sys/stat.h>

#include <cstdio>
#include <functional>
#include <string>

#include "exit_proxy_generated.h"
#include "flatbuffers/flatbuffers.h"

namespace fb = pv::proxy::fb;
using Maker = std::function<flatbuffers::Offset<fb::Message>(flatbuffers::FlatBufferBuilder&)>;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  ::mkdir(dir.c_str(), 0755);
  const std::pair<const char*, Maker> seeds[] = {
      {"version",
       [](auto& b) {
         return fb::CreateMessage(b, 1, 0, fb::Body::VersionRequest,
                                  fb::CreateVersionRequest(b, 1, 1, 1).Union());
       }},
      {"io_read",
       [](auto& b) {
         return fb::CreateMessage(b, 2, 0, fb::Body::IoAccess,
                                  fb::CreateIoAccess(b, 0x708, 4, false, 0).Union());
       }},
      {"io_write",
       [](auto& b) {
         return fb::CreateMessage(b, 3, 0, fb::Body::IoAccess,
                                  fb::CreateIoAccess(b, 0x2f8, 1, true, 'x').Union());
       }},
      {"mmio",
       [](auto& b) {
         return fb::CreateMessage(b, 4, 0, fb::Body::MmioAccess,
                                  fb::CreateMmioAccess(b, 0xfeb00000, 8, true, 7).Union());
       }},
      {"console",
       [](auto& b) {
         auto d = b.CreateVector(std::vector<uint8_t>{'h', 'i', '\n'});
         return fb::CreateMessage(b, 5, 0, fb::Body::ConsoleOutput,
                                  fb::CreateConsoleOutput(b, d).Union());
       }},
      {"stopped",
       [](auto& b) {
         return fb::CreateMessage(b, 6, 0, fb::Body::GuestStopped,
                                  fb::CreateGuestStopped(b, fb::StopReason::Exited, 0).Union());
       }},
      {"stats",
       [](auto& b) {
         std::vector<fb::ExitCounter> c = {fb::ExitCounter(0x72, 5)};
         auto v = b.CreateVectorOfStructs(c);
         return fb::CreateMessage(b, 7, 0, fb::Body::Statistics,
                                  fb::CreateStatistics(b, 5, 1, v).Union());
       }},
      {"attest",
       [](auto& b) {
         auto d = b.CreateVector(std::vector<uint8_t>{1, 2});
         return fb::CreateMessage(b, 8, 0, fb::Body::AttestationRequest,
                                  fb::CreateAttestationRequest(b, d).Union());
       }},
      {"get_quote",
       [](auto& b) {
         // kind GetQuote, the vCPU-0 bulk request area (offset 0x80000 + 4096), buffer + TDREPORT
         return fb::CreateMessage(
             b, 11, 0, fb::Body::AttestationRequest,
             fb::CreateAttestationRequest(b, 0, fb::AttestationKind::GetQuote, 0x81000, 1048)
                 .Union());
       }},
      {"guest_request",
       [](auto& b) {
         return fb::CreateMessage(
             b, 12, 0, fb::Body::AttestationRequest,
             fb::CreateAttestationRequest(b, 0, fb::AttestationKind::GuestRequest, 0x81000, 96)
                 .Union());
       }},
      {"error",
       [](auto& b) {
         auto s = b.CreateString("x");
         return fb::CreateMessage(b, 9, 0, fb::Body::Error,
                                  fb::CreateError(b, fb::ErrorCode::Internal, s).Union());
       }},
      {"unknown",
       [](auto& b) {
         return fb::CreateMessage(b, 10, 0, static_cast<fb::Body>(42),
                                  fb::CreateIoResult(b, 1).Union());
       }},
  };
  for (const auto& [name, make] : seeds) {
    flatbuffers::FlatBufferBuilder builder;
    builder.Finish(make(builder), "PVXP");
    const std::string path = dir + "/" + name;
    FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) {
      std::perror(path.c_str());
      return 1;
    }
    std::fwrite(builder.GetBufferPointer(), 1, builder.GetSize(), f);
    std::fclose(f);
  }
  std::printf("wrote %zu seeds to %s\n", sizeof(seeds) / sizeof(seeds[0]), dir.c_str());
  return 0;
}
