// `pvctl attest NAME [--report-data HEX] [--out FILE]`: fresh evidence from a running
// partition's paravisor through the AttestPartition RPC.
#ifndef PV_HOST_AGENT_PVCTL_ATTEST_COMMAND_H_
#define PV_HOST_AGENT_PVCTL_ATTEST_COMMAND_H_

#include <string>

#include "pv/v1/partition_manager.pb.h"

namespace pv::pvctl {

// Fills `req` from the command's arguments; returns an error message for the user, or "".
// HEX must be exactly 128 hex digits (64 bytes); without it the agent picks random bytes.
std::string BuildAttestRequest(const std::string& name, const std::string& report_data_hex,
                               uint32_t timeout_ms, pv::v1::AttestPartitionRequest* req);

// Writes the evidence to `out_path` (if given) and prints a summary (or the response as JSON);
// false if the file could not be written.
bool OutputEvidence(const pv::v1::AttestPartitionResponse& resp, const std::string& out_path,
                    bool json);

}  // namespace pv::pvctl

#endif  // PV_HOST_AGENT_PVCTL_ATTEST_COMMAND_H_
