// Runs each guest image given at boot (multiboot modules, in order), one after another, each in
// a fresh partition: its own memory, nested page tables and vCPU, all released afterwards.
#ifndef PV_RUN_GUEST_RUNNER_H_
#define PV_RUN_GUEST_RUNNER_H_

#include "boot/multiboot.h"
#include "lib/cmdline.h"
#include "svm/svm.h"

namespace pv {

struct RunSummary {
  u32 guests = 0;
  u32 as_expected = 0;
};

RunSummary RunGuests(const boot::BootInfo& boot, const Cmdline& cmdline,
                     const svm::Capabilities& caps, const svm::HostState& host);

}  // namespace pv

#endif  // PV_RUN_GUEST_RUNNER_H_
