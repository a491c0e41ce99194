// The guest's local APIC through MSRs (Linux guests, vcpu.irq.enabled): APIC_BASE, the x2APIC
// registers 0x800..0x8ff and IA32_TSC_DEADLINE, all backed by apic/local_apic.h with the host
// TSC as its clock. An access the architecture faults is #GP; an APIC feature the model refuses
// (relocating the APIC, IPIs to other CPUs) is #GP too, reported the first few times.
#include "exits/handle_apic.h"

#include "arch/host_cpu.h"
#include "lib/log.h"

namespace pv {
namespace {

constexpr u64 kRefusalReportLimit = 8;

bool IsApicMsr(u32 msr) {
  return msr == apic::kApicBaseMsr || msr == apic::kTscDeadlineMsr ||
         (msr >= apic::kX2apicMsrFirst && msr <= apic::kX2apicMsrLast);
}

ApicMsrResult Refused(Vcpu& vcpu, u32 msr, bool write, const Status& why) {
  if (++vcpu.irq.refused_msrs <= kRefusalReportLimit) {
    Log("apic: guest %u %s of MSR 0x%x refused (#GP): %s", vcpu.guest_index,
        write ? "write" : "read", msr, why.message());
  }
  return ApicMsrResult::kFault;
}

}  // namespace

ApicMsrResult ApicMsrRead(Vcpu& vcpu, u32 msr, u64* value) {
  if (!vcpu.irq.enabled || !IsApicMsr(msr)) return ApicMsrResult::kNotApic;
  apic::LocalApic& lapic = vcpu.irq.lapic;
  if (msr == apic::kApicBaseMsr) {
    *value = lapic.apic_base();
    return ApicMsrResult::kDone;
  }
  if (msr == apic::kTscDeadlineMsr) {
    lapic.AdvanceTime(arch::HostTsc());
    *value = lapic.tsc_deadline();
    return ApicMsrResult::kDone;
  }
  const Status s = lapic.ReadMsr(msr, value, arch::HostTsc());
  return s.ok() ? ApicMsrResult::kDone : Refused(vcpu, msr, false, s);
}

ApicMsrResult ApicMsrWrite(Vcpu& vcpu, u32 msr, u64 value) {
  if (!vcpu.irq.enabled || !IsApicMsr(msr)) return ApicMsrResult::kNotApic;
  apic::LocalApic& lapic = vcpu.irq.lapic;
  Status s = Status::Ok();
  if (msr == apic::kApicBaseMsr) {
    s = lapic.WriteApicBase(value);
  } else if (msr == apic::kTscDeadlineMsr) {
    lapic.WriteTscDeadline(value, arch::HostTsc());
  } else {
    s = lapic.WriteMsr(msr, value, arch::HostTsc());
  }
  return s.ok() ? ApicMsrResult::kDone : Refused(vcpu, msr, true, s);
}

bool IsGuestApicPage(const Vcpu& vcpu, u64 gpa) {
  return vcpu.irq.enabled && vcpu.irq.lapic.mode() == apic::Mode::kXapic &&
         gpa >= apic::kDefaultBase && gpa < apic::kDefaultBase + 0x1000;
}

Result<u64> ApicMmioAccess(Vcpu& vcpu, u64 gpa, u8 size, bool write, u64 value) {
  if (size != 4) return Status(Err::kUnsupported, "apic: xAPIC access that is not 32 bits wide");
  const u32 offset = static_cast<u32>(gpa - apic::kDefaultBase);
  apic::LocalApic& lapic = vcpu.irq.lapic;
  if (write) {
    PV_TRY(lapic.WriteMmio(offset, static_cast<u32>(value), arch::HostTsc()));
    return u64{0};
  }
  u32 read = 0;
  PV_TRY(lapic.ReadMmio(offset, &read, arch::HostTsc()));
  return u64{read};
}

}  // namespace pv
