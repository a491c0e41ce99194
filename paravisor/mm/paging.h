// The paravisor's own address space: the boot code identity-maps the first 4 GiB with 2 MiB
// pages (4-level paging). MapIdentity extends the identity map above that (device BARs, e.g. the
// exit-proxy shared memory), allocating page-table pages as needed.
#ifndef PV_MM_PAGING_H_
#define PV_MM_PAGING_H_

#include "lib/status.h"
#include "lib/types.h"

namespace pv::mm {

enum class Caching : u8 { kWriteBack, kUncached };

// Identity-maps [pa, pa + size) with 2 MiB pages (rounded out to 2 MiB boundaries).
Status MapIdentity(u64 pa, u64 size, Caching caching);

}  // namespace pv::mm

#endif  // PV_MM_PAGING_H_
