#include "grpc_service.h"

#include <fcntl.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "unique_fd.h"

namespace pv::agent {

namespace {

// Messages stay well below gRPC's metadata limit, whatever a caller's input made them say.
constexpr size_t kMaxErrorMessage = 2048;

grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  std::string message(s.message().substr(0, kMaxErrorMessage));
  if (s.message().size() > kMaxErrorMessage) message += "...";
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), message);
}

template <typename T>
grpc::Status Assign(absl::StatusOr<T> result, T* out) {
  if (!result.ok()) return ToGrpc(result.status());
  *out = std::move(*result);
  return grpc::Status::OK;
}

grpc::Status RequireName(const std::string& name) {
  if (name.empty()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "name is required");
  return grpc::Status::OK;
}

constexpr size_t kConsoleChunk = 16 * 1024;

}  // namespace

grpc::Status PartitionManagerService::CreatePartition(grpc::ServerContext* ctx,
                                                      const pv::v1::CreatePartitionRequest* req,
                                                      pv::v1::Partition* resp) {
  RpcTimer timer(&latencies_, "CreatePartition");
  if (auto s = Check(ctx, "CreatePartition", true, req->spec().name()); !s.ok()) return s;
  return Assign(manager_->Create(req->spec()), resp);
}

grpc::Status PartitionManagerService::StartPartition(grpc::ServerContext* ctx,
                                                     const pv::v1::StartPartitionRequest* req,
                                                     pv::v1::Partition* resp) {
  RpcTimer timer(&latencies_, "StartPartition");
  if (auto s = Check(ctx, "StartPartition", true, req->name()); !s.ok()) return s;
  if (auto s = RequireName(req->name()); !s.ok()) return s;
  return Assign(manager_->Start(req->name()), resp);
}

grpc::Status PartitionManagerService::StopPartition(grpc::ServerContext* ctx,
                                                    const pv::v1::StopPartitionRequest* req,
                                                    pv::v1::Partition* resp) {
  RpcTimer timer(&latencies_, "StopPartition");
  if (auto s = Check(ctx, "StopPartition", true, req->name()); !s.ok()) return s;
  if (auto s = RequireName(req->name()); !s.ok()) return s;
  if (req->grace_ms() > 600000) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "grace_ms exceeds 600000");
  }
  const auto grace = std::chrono::milliseconds(req->grace_ms() == 0 ? 3000 : req->grace_ms());
  return Assign(manager_->Stop(req->name(), grace, req->force()), resp);
}

grpc::Status PartitionManagerService::DeletePartition(grpc::ServerContext* ctx,
                                                      const pv::v1::DeletePartitionRequest* req,
                                                      pv::v1::DeletePartitionResponse*) {
  RpcTimer timer(&latencies_, "DeletePartition");
  if (auto s = Check(ctx, "DeletePartition", true, req->name()); !s.ok()) return s;
  if (auto s = RequireName(req->name()); !s.ok()) return s;
  return ToGrpc(manager_->Delete(req->name(), req->force()));
}

grpc::Status PartitionManagerService::GetPartition(grpc::ServerContext* ctx,
                                                   const pv::v1::GetPartitionRequest* req,
                                                   pv::v1::Partition* resp) {
  RpcTimer timer(&latencies_, "GetPartition");
  if (auto s = Check(ctx, "GetPartition", false, req->name()); !s.ok()) return s;
  if (auto s = RequireName(req->name()); !s.ok()) return s;
  return Assign(manager_->Get(req->name()), resp);
}

grpc::Status PartitionManagerService::ListPartitions(grpc::ServerContext* ctx,
                                                     const pv::v1::ListPartitionsRequest*,
                                                     pv::v1::ListPartitionsResponse* resp) {
  RpcTimer timer(&latencies_, "ListPartitions");
  if (auto s = Check(ctx, "ListPartitions", false, std::string()); !s.ok()) return s;
  for (pv::v1::Partition& p : manager_->List()) *resp->add_partitions() = std::move(p);
  return grpc::Status::OK;
}

grpc::Status PartitionManagerService::StreamConsole(
    grpc::ServerContext* ctx, const pv::v1::StreamConsoleRequest* req,
    grpc::ServerWriter<pv::v1::ConsoleChunk>* writer) {
  if (auto s = Check(ctx, "StreamConsole", false, req->name()); !s.ok()) return s;
  if (auto s = RequireName(req->name()); !s.ok()) return s;
  absl::StatusOr<std::string> path = manager_->ConsolePath(req->name(), req->source());
  if (!path.ok()) return ToGrpc(path.status());
  uint64_t offset = req->offset();
  UniqueFd fd;
  std::string buffer(kConsoleChunk, '\0');
  while (!ctx->IsCancelled() && !closing_) {
    // Sample "still running" before reading, so output written just before the stop is sent.
    const bool may_grow = req->follow() && manager_->MayProduceOutput(req->name());
    if (!fd.valid()) fd.Reset(::open(path->c_str(), O_RDONLY | O_CLOEXEC));
    ssize_t n = fd.valid() ? ::pread(fd.get(), buffer.data(), buffer.size(), offset) : 0;
    if (n > 0) {
      pv::v1::ConsoleChunk chunk;
      chunk.set_offset(offset);
      chunk.set_data(buffer.data(), n);
      if (!writer->Write(chunk)) break;  // client went away
      offset += n;
      continue;
    }
    if (!may_grow) break;
    // The guest console signals new bytes; the firmware log (written by QEMU) is polled.
    if (req->source() == pv::v1::CONSOLE_SOURCE_GUEST) {
      manager_->WaitForConsole(req->name(), offset, std::chrono::milliseconds(100));
    } else {
      ::usleep(50 * 1000);
    }
  }
  return grpc::Status::OK;
}

grpc::Status PartitionManagerService::WatchEvents(grpc::ServerContext* ctx,
                                                  const pv::v1::WatchEventsRequest* req,
                                                  grpc::ServerWriter<pv::v1::Event>* writer) {
  if (auto s = Check(ctx, "WatchEvents", false, req->partition()); !s.ok()) return s;
  uint64_t after = req->after_sequence();
  while (!ctx->IsCancelled() && !closing_) {
    const uint64_t last = manager_->events().last_sequence();
    for (const pv::v1::Event& e : manager_->events().Since(after, req->partition())) {
      if (!writer->Write(e)) return grpc::Status::OK;
      after = e.sequence();
    }
    // Events for other partitions also advance the position we wait from.
    after = std::max(after, last);
    if (!req->follow()) break;
    manager_->events().WaitForNewerThan(after, std::chrono::milliseconds(200));
  }
  return grpc::Status::OK;
}

grpc::Status PartitionManagerService::GetStats(grpc::ServerContext* ctx,
                                               const pv::v1::GetStatsRequest* req,
                                               pv::v1::PartitionStats* resp) {
  RpcTimer timer(&latencies_, "GetStats");
  if (auto s = Check(ctx, "GetStats", false, req->name()); !s.ok()) return s;
  if (auto s = RequireName(req->name()); !s.ok()) return s;
  return Assign(manager_->Stats(req->name()), resp);
}

grpc::Status PartitionManagerService::Capabilities(grpc::ServerContext* ctx,
                                                   const pv::v1::CapabilitiesRequest*,
                                                   pv::v1::CapabilitiesResponse* resp) {
  RpcTimer timer(&latencies_, "Capabilities");
  if (auto s = Check(ctx, "Capabilities", false, std::string()); !s.ok()) return s;
  *resp = manager_->Capabilities();
  return grpc::Status::OK;
}

grpc::Status PartitionManagerService::AttestPartition(grpc::ServerContext* ctx,
                                                      const pv::v1::AttestPartitionRequest* req,
                                                      pv::v1::AttestPartitionResponse* resp) {
  RpcTimer timer(&latencies_, "AttestPartition");
  // Admin: it makes the guest's paravisor do work and consumes its evidence mailbox.
  if (auto s = Check(ctx, "AttestPartition", true, req->name()); !s.ok()) return s;
  if (auto s = RequireName(req->name()); !s.ok()) return s;
  constexpr uint32_t kDefaultMs = 30000, kMaxMs = 120000;
  if (req->timeout_ms() > kMaxMs) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("timeout_ms ", req->timeout_ms(), " is above ", kMaxMs));
  }
  std::string report_data = req->report_data();
  if (report_data.empty()) {
    report_data.resize(64);
    UniqueFd random(::open("/dev/urandom", O_RDONLY | O_CLOEXEC));
    if (!random.valid() || ::read(random.get(), report_data.data(), 64) != 64) {
      return grpc::Status(grpc::StatusCode::INTERNAL, "cannot read /dev/urandom for report_data");
    }
  } else if (report_data.size() != 64) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("report_data is ", report_data.size(),
                                     " bytes; it must be exactly 64 (or empty)"));
  }
  const auto timeout =
      std::chrono::milliseconds(req->timeout_ms() == 0 ? kDefaultMs : req->timeout_ms());
  absl::StatusOr<std::vector<uint8_t>> evidence = manager_->FetchEvidence(
      req->name(),
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(report_data.data()), 64), timeout);
  if (!evidence.ok()) return ToGrpc(evidence.status());
  resp->set_name(req->name());
  resp->set_report_data(report_data);
  resp->set_evidence(std::string(evidence->begin(), evidence->end()));
  return grpc::Status::OK;
}

grpc::Status PartitionManagerService::PausePartition(grpc::ServerContext* ctx,
                                                     const pv::v1::PausePartitionRequest* req,
                                                     pv::v1::Partition* resp) {
  RpcTimer timer(&latencies_, "PausePartition");
  if (auto s = Check(ctx, "PausePartition", true, req->name()); !s.ok()) return s;
  if (auto s = RequireName(req->name()); !s.ok()) return s;
  return Assign(manager_->Pause(req->name()), resp);
}

grpc::Status PartitionManagerService::ResumePartition(grpc::ServerContext* ctx,
                                                      const pv::v1::ResumePartitionRequest* req,
                                                      pv::v1::Partition* resp) {
  RpcTimer timer(&latencies_, "ResumePartition");
  if (auto s = Check(ctx, "ResumePartition", true, req->name()); !s.ok()) return s;
  if (auto s = RequireName(req->name()); !s.ok()) return s;
  return Assign(manager_->Resume(req->name()), resp);
}

grpc::Status PartitionManagerService::ResetPartition(grpc::ServerContext* ctx,
                                                     const pv::v1::ResetPartitionRequest* req,
                                                     pv::v1::Partition* resp) {
  RpcTimer timer(&latencies_, "ResetPartition");
  if (auto s = Check(ctx, "ResetPartition", true, req->name()); !s.ok()) return s;
  if (auto s = RequireName(req->name()); !s.ok()) return s;
  return Assign(manager_->Reset(req->name()), resp);
}

grpc::Status PartitionManagerService::ShutdownPartition(grpc::ServerContext* ctx,
                                                        const pv::v1::ShutdownPartitionRequest* req,
                                                        pv::v1::Partition* resp) {
  RpcTimer timer(&latencies_, "ShutdownPartition");
  if (auto s = Check(ctx, "ShutdownPartition", true, req->name()); !s.ok()) return s;
  if (auto s = RequireName(req->name()); !s.ok()) return s;
  return Assign(manager_->RequestShutdown(req->name()), resp);
}

}  // namespace pv::agent
