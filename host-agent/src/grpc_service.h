// The gRPC edge of the agent: pv.v1.PartitionManager over PartitionManager. Only converts
// requests and absl::Status to gRPC; no lifecycle logic lives here.
#ifndef PV_HOST_AGENT_GRPC_SERVICE_H_
#define PV_HOST_AGENT_GRPC_SERVICE_H_

#include <atomic>

#include "access_control.h"
#include "metrics.h"
#include "partition_manager.h"
#include "pv/v1/partition_manager.grpc.pb.h"

namespace pv::agent {

class PartitionManagerService final : public pv::v1::PartitionManager::Service {
 public:
  // `access` (may be null: no checks, for in-process use) authorises and logs every call.
  explicit PartitionManagerService(PartitionManager* manager, AccessControl* access = nullptr)
      : manager_(manager), access_(access) {}

  RpcLatencies& latencies() { return latencies_; }

  // Makes open streams finish (agent shutdown).
  void CloseStreams() { closing_ = true; }

  grpc::Status CreatePartition(grpc::ServerContext*, const pv::v1::CreatePartitionRequest* req,
                               pv::v1::Partition* resp) override;
  grpc::Status StartPartition(grpc::ServerContext*, const pv::v1::StartPartitionRequest* req,
                              pv::v1::Partition* resp) override;
  grpc::Status StopPartition(grpc::ServerContext*, const pv::v1::StopPartitionRequest* req,
                             pv::v1::Partition* resp) override;
  grpc::Status DeletePartition(grpc::ServerContext*, const pv::v1::DeletePartitionRequest* req,
                               pv::v1::DeletePartitionResponse* resp) override;
  grpc::Status GetPartition(grpc::ServerContext*, const pv::v1::GetPartitionRequest* req,
                            pv::v1::Partition* resp) override;
  grpc::Status ListPartitions(grpc::ServerContext*, const pv::v1::ListPartitionsRequest* req,
                              pv::v1::ListPartitionsResponse* resp) override;
  grpc::Status StreamConsole(grpc::ServerContext* ctx, const pv::v1::StreamConsoleRequest* req,
                             grpc::ServerWriter<pv::v1::ConsoleChunk>* writer) override;
  grpc::Status WatchEvents(grpc::ServerContext* ctx, const pv::v1::WatchEventsRequest* req,
                           grpc::ServerWriter<pv::v1::Event>* writer) override;
  grpc::Status GetStats(grpc::ServerContext*, const pv::v1::GetStatsRequest* req,
                        pv::v1::PartitionStats* resp) override;
  grpc::Status Capabilities(grpc::ServerContext*, const pv::v1::CapabilitiesRequest* req,
                            pv::v1::CapabilitiesResponse* resp) override;
  grpc::Status AttestPartition(grpc::ServerContext* ctx, const pv::v1::AttestPartitionRequest* req,
                               pv::v1::AttestPartitionResponse* resp) override;
  grpc::Status PausePartition(grpc::ServerContext* ctx, const pv::v1::PausePartitionRequest* req,
                              pv::v1::Partition* resp) override;
  grpc::Status ResumePartition(grpc::ServerContext* ctx, const pv::v1::ResumePartitionRequest* req,
                               pv::v1::Partition* resp) override;
  grpc::Status ResetPartition(grpc::ServerContext* ctx, const pv::v1::ResetPartitionRequest* req,
                              pv::v1::Partition* resp) override;
  grpc::Status ShutdownPartition(grpc::ServerContext* ctx,
                                 const pv::v1::ShutdownPartitionRequest* req,
                                 pv::v1::Partition* resp) override;

 private:
  grpc::Status Check(const grpc::ServerContext* ctx, const char* method, bool mutating,
                     const std::string& partition) {
    return access_ == nullptr ? grpc::Status::OK
                              : access_->Authorize(ctx, method, mutating, partition);
  }

  PartitionManager* manager_;
  AccessControl* access_;
  RpcLatencies latencies_;
  std::atomic<bool> closing_{false};
};

}  // namespace pv::agent

#endif  // PV_HOST_AGENT_GRPC_SERVICE_H_
