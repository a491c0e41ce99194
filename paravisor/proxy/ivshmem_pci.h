// Finding the exit-proxy device: the ivshmem PCI function (1af4:1110) on bus 0, its BAR0
// registers (doorbell) and BAR2 shared memory, through PCI configuration mechanism #1
// (ports 0xCF8/0xCFC). Firmware only (port IO, page tables).
#ifndef PV_PROXY_IVSHMEM_PCI_H_
#define PV_PROXY_IVSHMEM_PCI_H_

#include "lib/cmdline.h"
#include "lib/status.h"
#include "proxy/exit_proxy.h"

namespace pv::proxy_client {

// The transport for the first ivshmem device, with BAR2 identity-mapped (above 4 GiB through
// mm::MapIdentity) and memory decoding enabled.
Result<Transport> FindIvshmemTransport();

// Paravisor start-up: unless the command line says `proxy=off`, find the device and attach.
// No device is not an error (the paravisor then runs without a host agent); a device whose
// agent does not answer or is malformed is reported and the proxy stays detached.
// `proxy-selftest=malformed` runs RunMalformedSelfTest() after attaching; its failure is
// returned so the run fails.
Status InitExitProxy(const Cmdline& cmdline);

}  // namespace pv::proxy_client

#endif  // PV_PROXY_IVSHMEM_PCI_H_
