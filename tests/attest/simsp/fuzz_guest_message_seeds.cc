// Writes seeds for fuzz_guest_message: a valid raw report request (odd first byte) and a
// shaped one (even first byte), and a shaped RTMR extension under the TDX personality, so the
// fuzzer starts from messages that pass the header checks.
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "attest/simsp/guest_request_server.h"

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  std::filesystem::create_directories(argv[1]);
  pv::attest::simsp::Vmpck key;
  key.fill(0x20);
  std::vector<uint8_t> req(96, 0x5A);
  std::memset(req.data() + 64, 0, 32);
  std::vector<uint8_t> raw = {1};
  auto msg = pv::attest::simsp::BuildGuestMessage(key, 0, 1, pv::attest_proto::kMsgReportReq, req);
  raw.insert(raw.end(), msg.begin(), msg.end());
  std::vector<uint8_t> shaped = {0, 0, pv::attest_proto::kMsgReportReq, 1, 1};
  shaped.insert(shaped.end(), req.begin(), req.end());
  std::vector<uint8_t> rtmr = {2, 0, pv::attest_proto::kMsgSimRtmrExtendReq, 1, 1};
  rtmr.insert(rtmr.end(), 8 + 48, 0x00);
  rtmr[5] = 2;  // RTMR2
  std::ofstream(std::string(argv[1]) + "/rtmr")
      .write(reinterpret_cast<char*>(rtmr.data()), rtmr.size());
  std::ofstream(std::string(argv[1]) + "/raw")
      .write(reinterpret_cast<char*>(raw.data()), raw.size());
  std::ofstream(std::string(argv[1]) + "/shaped")
      .write(reinterpret_cast<char*>(shaped.data()), shaped.size());
  return 0;
}
