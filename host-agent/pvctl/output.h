// pvctl output: aligned text tables for people, protobuf JSON (--json) for programs.
#ifndef PV_HOST_AGENT_PVCTL_OUTPUT_H_
#define PV_HOST_AGENT_PVCTL_OUTPUT_H_

#include <string>
#include <vector>

#include "google/protobuf/message.h"
#include "pv/v1/partition_manager.pb.h"

namespace pv::pvctl {

std::string ToJson(const google::protobuf::Message& message);
// Parses protobuf JSON (unknown fields are an error); `error` says what is wrong.
bool FromJson(const std::string& json, google::protobuf::Message* message, std::string* error);
// {"error": {"code": "NOT_FOUND", "code_number": 5, "message": "..."}}
std::string ErrorJson(int code, const std::string& message);
// Whole file, if it exists and has at most `max_bytes`.
bool ReadSmallFile(const std::string& path, size_t max_bytes, std::string* out);
std::string StateName(pv::v1::PartitionState state);
std::string PlatformName(pv::v1::Platform platform);
std::string EventTypeName(pv::v1::EventType type);

// Prints rows with columns padded to their widest cell; the first row is the header.
void PrintTable(const std::vector<std::vector<std::string>>& rows);

void PrintPartitionTable(const std::vector<pv::v1::Partition>& partitions);
void PrintPartitionDetail(const pv::v1::Partition& partition);
void PrintStats(const pv::v1::PartitionStats& stats);
void PrintEvent(const pv::v1::Event& event);
void PrintCapabilities(const pv::v1::CapabilitiesResponse& caps);

}  // namespace pv::pvctl

#endif  // PV_HOST_AGENT_PVCTL_OUTPUT_H_
