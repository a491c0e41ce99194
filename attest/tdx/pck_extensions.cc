#include "attest/tdx/pck_extensions.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "attest/tdx/hex.h"
#include "attest/tdx/status_macros.h"

namespace pv::attest::tdx {
namespace {

constexpr uint8_t kTagInteger = 0x02;
constexpr uint8_t kTagOctetString = 0x04;
constexpr uint8_t kTagOid = 0x06;
constexpr uint8_t kTagEnumerated = 0x0a;
constexpr uint8_t kTagSequence = 0x30;
constexpr size_t kMaxMembers = 64;  // bound on loop iterations over hostile input

struct Tlv {
  uint8_t tag = 0;
  absl::string_view value;
};

absl::Status Error(absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("PCK SGX extension (OID 1.2.840.113741.1.13.1): ", what));
}

// Reads one DER element from the front of `in` and advances it.
absl::StatusOr<Tlv> ReadTlv(absl::string_view& in) {
  if (in.size() < 2) return Error("truncated element header");
  Tlv t;
  t.tag = static_cast<uint8_t>(in[0]);
  if ((t.tag & 0x1f) == 0x1f) return Error("multi-byte tags are not used in this structure");
  size_t len = static_cast<uint8_t>(in[1]);
  size_t hdr = 2;
  if (len & 0x80) {
    size_t n = len & 0x7f;
    if (n == 0 || n > 3) return Error(absl::StrCat("unsupported length-of-length ", n));
    if (in.size() < 2 + n) return Error("truncated length");
    len = 0;
    for (size_t i = 0; i < n; ++i) len = (len << 8) | static_cast<uint8_t>(in[2 + i]);
    hdr += n;
  }
  if (len > in.size() - hdr) {
    return Error(absl::StrCat("element length ", len, " exceeds the ", in.size() - hdr,
                              " bytes that remain"));
  }
  t.value = in.substr(hdr, len);
  in.remove_prefix(hdr + len);
  return t;
}

absl::StatusOr<Tlv> Expect(absl::string_view& in, uint8_t tag, absl::string_view what) {
  PV_TDX_ASSIGN_OR_RETURN(Tlv t, ReadTlv(in));
  if (t.tag != tag) {
    return Error(absl::StrCat(what, ": tag 0x", HexEncode(std::string(1, static_cast<char>(t.tag))),
                              ", expected 0x", HexEncode(std::string(1, static_cast<char>(tag)))));
  }
  return t;
}

absl::StatusOr<uint32_t> NonNegativeInt(const Tlv& t, absl::string_view what) {
  if (t.value.empty() || t.value.size() > 3) return Error(absl::StrCat(what, ": bad integer size"));
  if (static_cast<uint8_t>(t.value[0]) & 0x80) return Error(absl::StrCat(what, ": negative"));
  uint32_t v = 0;
  for (unsigned char c : t.value) v = (v << 8) | c;
  return v;
}

// `oid` must be the SGX extensions OID followed by `suffix` arcs (all < 128).
bool OidIs(absl::string_view oid, std::initializer_list<uint8_t> suffix) {
  if (oid.size() != kSgxExtensionsOid.size() + suffix.size()) return false;
  if (oid.substr(0, kSgxExtensionsOid.size()) != kSgxExtensionsOid) return false;
  size_t i = kSgxExtensionsOid.size();
  for (uint8_t arc : suffix) {
    if (static_cast<uint8_t>(oid[i++]) != arc) return false;
  }
  return true;
}

absl::StatusOr<std::string> FixedOctets(const Tlv& t, size_t n, absl::string_view what) {
  if (t.tag != kTagOctetString || t.value.size() != n) {
    return Error(absl::StrCat(what, ": expected OCTET STRING of ", n, " bytes, got tag ",
                              static_cast<int>(t.tag), " size ", t.value.size()));
  }
  return std::string(t.value);
}

absl::Status ParseTcb(absl::string_view in, PckExtensions& out) {
  uint32_t seen = 0;  // bit i set = component i+1 seen; bit 16 pcesvn; bit 17 cpusvn
  for (size_t n = 0; !in.empty(); ++n) {
    if (n >= kMaxMembers) return Error("too many TCB members");
    PV_TDX_ASSIGN_OR_RETURN(Tlv member, Expect(in, kTagSequence, "TCB member"));
    absl::string_view m = member.value;
    PV_TDX_ASSIGN_OR_RETURN(Tlv oid, Expect(m, kTagOid, "TCB member OID"));
    PV_TDX_ASSIGN_OR_RETURN(Tlv value, ReadTlv(m));
    if (!m.empty()) return Error("trailing bytes in TCB member");
    if (oid.value.size() != kSgxExtensionsOid.size() + 2 || !OidIs(oid.value.substr(0, 10), {2})) {
      return Error("unexpected OID inside TCB");
    }
    const uint8_t arc = static_cast<uint8_t>(oid.value[10]);
    if (arc < 1 || arc > 18) return Error(absl::StrCat("unknown TCB member .2.", arc));
    const uint32_t bit = 1u << (arc - 1);
    if (seen & bit) return Error(absl::StrCat("duplicate TCB member .2.", arc));
    seen |= bit;
    if (arc == 18) {
      PV_TDX_ASSIGN_OR_RETURN(out.cpusvn, FixedOctets(value, 16, "CPUSVN"));
      continue;
    }
    if (value.tag != kTagInteger) return Error(absl::StrCat("TCB member .2.", arc, " not INTEGER"));
    PV_TDX_ASSIGN_OR_RETURN(uint32_t v, NonNegativeInt(value, "TCB SVN"));
    if (arc == 17) {
      if (v > 0xffff) return Error("PCESVN out of range");
      out.pcesvn = static_cast<uint16_t>(v);
    } else {
      if (v > 0xff) return Error(absl::StrCat("TCB component ", arc, " SVN ", v, " > 255"));
      out.tcb_components[arc - 1] = static_cast<uint8_t>(v);
    }
  }
  if (seen != (1u << 18) - 1)
    return Error("TCB is missing members (need comp01..16, PCESVN, CPUSVN)");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PckExtensions> ParsePckExtensionsDer(absl::string_view der) {
  absl::string_view in = der;
  PV_TDX_ASSIGN_OR_RETURN(Tlv outer, Expect(in, kTagSequence, "outer SEQUENCE"));
  if (!in.empty()) return Error("trailing bytes after the outer SEQUENCE");
  PckExtensions out;
  bool have_ppid = false, have_tcb = false, have_pceid = false, have_fmspc = false,
       have_type = false;
  absl::string_view members = outer.value;
  for (size_t n = 0; !members.empty(); ++n) {
    if (n >= kMaxMembers) return Error("too many members");
    PV_TDX_ASSIGN_OR_RETURN(Tlv member, Expect(members, kTagSequence, "member"));
    absl::string_view m = member.value;
    PV_TDX_ASSIGN_OR_RETURN(Tlv oid, Expect(m, kTagOid, "member OID"));
    PV_TDX_ASSIGN_OR_RETURN(Tlv value, ReadTlv(m));
    if (!m.empty()) return Error("trailing bytes in member");
    auto once = [](bool& flag, absl::string_view name) -> absl::Status {
      if (flag) return Error(absl::StrCat("duplicate ", name));
      flag = true;
      return absl::OkStatus();
    };
    if (OidIs(oid.value, {1})) {
      PV_TDX_RETURN_IF_ERROR(once(have_ppid, "PPID"));
      PV_TDX_ASSIGN_OR_RETURN(out.ppid, FixedOctets(value, 16, "PPID"));
    } else if (OidIs(oid.value, {2})) {
      PV_TDX_RETURN_IF_ERROR(once(have_tcb, "TCB"));
      if (value.tag != kTagSequence) return Error("TCB is not a SEQUENCE");
      PV_TDX_RETURN_IF_ERROR(ParseTcb(value.value, out));
    } else if (OidIs(oid.value, {3})) {
      PV_TDX_RETURN_IF_ERROR(once(have_pceid, "PCE-ID"));
      PV_TDX_ASSIGN_OR_RETURN(out.pceid, FixedOctets(value, 2, "PCE-ID"));
    } else if (OidIs(oid.value, {4})) {
      PV_TDX_RETURN_IF_ERROR(once(have_fmspc, "FMSPC"));
      PV_TDX_ASSIGN_OR_RETURN(out.fmspc, FixedOctets(value, 6, "FMSPC"));
    } else if (OidIs(oid.value, {5})) {
      PV_TDX_RETURN_IF_ERROR(once(have_type, "SGX type"));
      if (value.tag != kTagEnumerated) return Error("SGX type is not ENUMERATED");
      PV_TDX_ASSIGN_OR_RETURN(uint32_t t, NonNegativeInt(value, "SGX type"));
      out.sgx_type = static_cast<int>(t);
    }
    // Other members (.6 platform instance ID, .7 configuration) are not needed for TDX quote
    // verification; their framing was still bounds-checked above.
  }
  if (!have_ppid || !have_tcb || !have_pceid || !have_fmspc || !have_type) {
    return Error("missing a required member (PPID, TCB, PCE-ID, FMSPC, SGX type)");
  }
  return out;
}

}  // namespace pv::attest::tdx
