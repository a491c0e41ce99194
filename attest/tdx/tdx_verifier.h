// Intel TDX quote verifier (ECDSA-P256 quotes, versions 4 and 5), modelled on Intel's Quote
// Verification Library (QVL). This is the public API of the `pv_attest_tdx` library.
//
// What Verify() checks, and the check names it records in the VerificationReport (the vocabulary
// of ../shared/vectors/manifest.json). Values are "ok", "fail:<reason> <detail>", a status name,
// or "skipped:<missing input>" when the collateral needed for that check was not supplied.
//
//   quote_sig        ECDSA-P256/SHA-256 by the attestation key (x||y in the quote) over the
//                    header and TD report body (v5: header, body type/size and body).
//   qe_report_sig    ECDSA-P256/SHA-256 by the PCK leaf key over the 384-byte QE report.
//   ak_binding       QE report REPORT_DATA == SHA-256(attestation key || QE auth data) followed
//                    by 32 zero bytes. Strict: the zero padding is checked too (go-tdx-guest
//                    does, QVL compares only the first 32 bytes).
//   pck_chain        PCK leaf -> PCK Platform/Processor CA -> root, signatures and validity at
//                    `options.now`; the root must be self-signed and its SHA-256 DER fingerprint
//                    must equal the compiled-in Intel SGX Root CA fingerprint
//                    (kIntelSgxRootCaSha256) unless options.allow_unpinned_root is set (needed for
//                    synthetic test roots). Also checks the PCK SGX extension
//                    (OID 1.2.840.113741.1.13.1) parses, the leaf CN contains "SGX PCK
//                    Certificate" and the issuer is "Intel SGX PCK Platform CA" or "... Processor
//                    CA". The certification data may be PEM (real quotes) or concatenated DER
//                    (Intel's sample generator); leaf and issuer are found by role, not position.
//   pck_crl          "ok,not-revoked": the PCK CRL is signed by the PCK issuer CA, its issuer
//                    name equals the PCK issuer, now is within thisUpdate..nextUpdate and the
//                    PCK serial is not listed. "fail:revoked serial=<hex>" etc.
//   root_crl         "ok": the root CA CRL is signed by the root, is current, and revokes
//                    neither the PCK issuer CA nor the TCB signing certificate.
//   collateral_sigs  "ok": the TCB info (and QE identity, when given) signatures verify over the
//                    EXACT bytes of the signed JSON member ("tcbInfo" / "enclaveIdentity") as
//                    they appear in the document, with the TCB signing certificate, which must
//                    chain to the same trust anchor; the signing chain and the collateral
//                    (issueDate <= now <= nextUpdate) must be valid at `now`; id must be "TDX"
//                    (version 3) / "TD_QE" (version 2).
//   qe_identity      QE identity TCB status of the QE report ISVSVN ("UpToDate", "OutOfDate",
//                    "Revoked", "TCB_NOT_SUPPORTED"), after checking MISCSELECT/ATTRIBUTES under
//                    their masks, MRSIGNER and ISVPRODID ("fail:<field>-mismatch seen=..
//                    expected=..").
//   tcb              QVL TCB status: UpToDate, SWHardeningNeeded, ConfigurationNeeded,
//                    ConfigurationAndSWHardeningNeeded, OutOfDate, OutOfDateConfigurationNeeded,
//                    Revoked, TCB_NOT_SUPPORTED; or "fail:<reason>" when the TCB info does not
//                    apply (FMSPC/PCEID mismatch, TDX module MRSIGNER/attributes mismatch,
//                    untrusted collateral). Algorithm (QVL EvaluateTcb): the first tcbLevel whose
//                    sgxtcbcomponents <= PCK TCB components, pcesvn <= PCK PCESVN and
//                    tdxtcbcomponents <= TEE_TCB_SVN (indexes 0-1 skipped when TEE_TCB_SVN[1] > 0)
//                    gives the platform status; when TEE_TCB_SVN[1] > 0 the tdxModuleIdentities
//                    entry "TDX_%02X" (major = TEE_TCB_SVN[1]) and its first level with
//                    isvsvn <= TEE_TCB_SVN[0] give the module status; both are converged (module
//                    or QE OutOfDate turns UpToDate/SWHardeningNeeded into OutOfDate and
//                    ConfigurationNeeded* into OutOfDateConfigurationNeeded; Revoked wins), then
//                    converged with the QE identity status when a QE identity was supplied.
//                    Not implemented: QVL's TD 1.5 relaunch-advised statuses (TEE_TCB_SVN_2).
//   length           "ok" | "fail:trailing-data" (non-zero bytes after the signature data) |
//                    "fail:trailing-bytes" / "fail:signature-data-slack" (only with
//                    options.strict_length): the rule in attest/common/evidence_length.h.
//   advisories       The advisory IDs of the matched platform, module and QE levels as a
//                    compact JSON array, e.g. [] or ["INTEL-SA-00960","INTEL-SA-00982"]. Always
//                    passes; acceptability is policy.
//
// Failure values ("fail:<token> <detail>"; the token is stable, the detail names the field or
// certificate with the values seen and expected):
//   quote_sig, qe_report_sig  bad-signature
//   ak_binding                hash-mismatch QE_REPORT.REPORT_DATA seen=<hex> expected=<hex>
//   pck_chain                 root-not-pinned sha256=<hex> expected=<hex> | untrusted <OpenSSL
//                             verify error, certificate CN, depth, time> | malformed <parse error>
//                             | no-root <why> | root-missing (the quote's chain carries no root)
//                             | root-bad-signature (the quote's root is not validly self-signed)
//                             | root-untrusted (the quote's root is not byte-for-byte the trust
//                             anchor: QVL's STATUS_SGX_PCK_CERT_CHAIN_UNTRUSTED; checked also
//                             when the anchor comes from options.root_certificate)
//   qe_report_sig             also pck-chain-malformed <parse error> (no PCK key to check with)
//   collateral_sigs           also pck-chain-untrusted no trusted root: pck_chain <its value>
//   pck_crl, root_crl         revoked <what> "<CN>" serial=<hex> | invalid-crl <signature, issuer
//                             or thisUpdate/nextUpdate problem> | pck-chain-untrusted
//   collateral_sigs           untrusted <parse, signing chain, signature or validity problem>
//   qe_identity               miscselect-|attributes-|mrsigner-|isvprodid-mismatch seen= expected=
//                             | collateral-untrusted
//   tcb                       fmspc-|pceid-|tdx-module-mrsigner-|tdx-module-attributes-mismatch
//                             seen=<hex> expected=<hex> | tdx-module-mismatch (no TDX_%02X
//                             identity) | collateral-untrusted | pck-chain-untrusted |
//                             qe-identity-mismatch
//
// Check `passed` semantics: "ok..." values pass; tcb/qe_identity pass when the status is in
// options.accepted_tcb_statuses; "skipped:..." values pass only if the options allow that piece
// of collateral to be missing (see TdxVerifyOptions); everything else fails. So by default a
// report is Accepted() only with full collateral and an UpToDate/SWHardeningNeeded/Configuration*
// TCB; callers that verify offline without CRLs must say so explicitly.
//
// Missing collateral (what runs with what):
//   quote + trust anchor only:        quote_sig, qe_report_sig, ak_binding, pck_chain.
//   + TCB info and its signing chain: collateral_sigs, tcb (platform + TDX module levels),
//                                     advisories.
//   + QE identity:                    qe_identity, and tcb also converges the QE status.
//   + PCK CRL / root CRL:             pck_crl / root_crl.
//   A check that cannot run is recorded as "skipped:no-<input>" (tcb: "skipped:no-tcb-info").
//
// Decoded fields (VerificationReport::fields), names are stable. Byte arrays are lowercase hex in
// the byte order of the quote (so TD_ATTRIBUTES "0100000000000000" has bit 0, DEBUG, set);
// integers are decimal.
//   Header:   VERSION, ATT_KEY_TYPE, TEE_TYPE (hex u32, "00000081"), QE_SVN, PCE_SVN,
//             QE_VENDOR_ID, USER_DATA
//   v5 only:  BODY_TYPE (2 = TD1.0, 3 = TD1.5), BODY_SIZE
//   TD body:  TEE_TCB_SVN, MRSEAM, MRSIGNERSEAM, SEAM_ATTRIBUTES, TD_ATTRIBUTES, XFAM, MRTD,
//             MRCONFIGID, MROWNER, MROWNERCONFIG, RTMR0, RTMR1, RTMR2, RTMR3, REPORT_DATA,
//             and for body type 3: TEE_TCB_SVN_2, MRSERVICETD
//   Derived:  TD_ATTRIBUTES.DEBUG ("true"/"false"), TDX_MODULE_MAJOR, TDX_MODULE_MINOR
//             (TEE_TCB_SVN[1], [0], decimal)
//   Signature data: ATTESTATION_KEY, QUOTE_SIGNATURE, CERT_DATA_TYPE
//   QE report: QE_REPORT.CPUSVN, QE_REPORT.MISCSELECT, QE_REPORT.ATTRIBUTES,
//             QE_REPORT.MRENCLAVE, QE_REPORT.MRSIGNER, QE_REPORT.ISVPRODID, QE_REPORT.ISVSVN,
//             QE_REPORT.REPORT_DATA, QE_REPORT_SIGNATURE, QE_AUTH_DATA
//   PCK certificate (when the chain parses): PCK.CA ("platform"/"processor"), PCK.FMSPC,
//             PCK.PCEID, PCK.PCESVN, PCK.CPUSVN, PCK.TCB_COMPONENTS (16 bytes hex), PCK.SERIAL
//   Trust anchor (when one was found): ROOT_SHA256 (hex), ROOT_PINNED ("true"/"false")
//   TCB evaluation (when TCB info applied): TCB_STATUS, TCB_DATE (earliest matched level),
//             TCB_EVALUATION_DATA_NUMBER, PLATFORM_TCB_STATUS, TDX_MODULE_TCB_STATUS (empty when
//             TEE_TCB_SVN[1] == 0), QE_IDENTITY_STATUS ("mismatch" if the QE report does not
//             match the identity), ADVISORY_IDS (comma-separated)
//
// Collateral cache directory (offline collateral, keyed like Intel PCS v4 keys its resources):
//   <dir>/tcb/<fmspc>.json                 GET /tdx/certification/v4/tcb?fmspc=<fmspc> body,
//                                          i.e. {"tcbInfo":{...},"signature":"<hex r||s>"};
//                                          fmspc in lowercase hex (12 digits)
//   <dir>/tcb/<fmspc>.issuer-chain.pem     its TCB-Info-Issuer-Chain header (PEM)
//   <dir>/qe/identity.json                 GET /tdx/certification/v4/qe/identity body
//   <dir>/qe/identity.issuer-chain.pem     SGX-Enclave-Identity-Issuer-Chain (PEM); if absent
//                                          the TCB info issuer chain is used (same signer)
//   <dir>/pckcrl/<ca>.crl                  GET /sgx/certification/v4/pckcrl?ca=<ca>, <ca> =
//                                          platform | processor, DER or PEM
//   <dir>/pckcrl/<ca>.issuer-chain.pem     SGX-PCK-CRL-Issuer-Chain (optional, informational)
//   <dir>/rootcrl.crl                      Intel SGX Root CA CRL, DER or PEM
// Every file is optional; absent files leave the matching TdxCollateral member empty.
//
// Thread safety: a TdxVerifier may be shared between threads; its caches are locked.
#ifndef PV_ATTEST_TDX_TDX_VERIFIER_H_
#define PV_ATTEST_TDX_TDX_VERIFIER_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "attest/common/verification_report.h"

namespace pv::attest::tdx {

// SHA-256 of the DER encoding of Intel's "Intel SGX Root CA" (the only pinned TDX trust anchor).
extern const std::array<uint8_t, 32> kIntelSgxRootCaSha256;

// Collateral for one quote. Every member is optional (empty = not supplied); see the header
// comment for which checks each one enables. Text members hold the file bytes unchanged.
struct TdxCollateral {
  // TCB info document {"tcbInfo":{...},"signature":"..."} exactly as served by PCS.
  std::string tcb_info_json;
  // PEM chain (TCB signing cert, optionally followed by the root) that signs TCB info.
  std::string tcb_info_issuer_chain_pem;
  // QE identity document {"enclaveIdentity":{...},"signature":"..."}.
  std::string qe_identity_json;
  // PEM chain that signs the QE identity; empty = use tcb_info_issuer_chain_pem.
  std::string qe_identity_issuer_chain_pem;
  // CRL of the PCK issuer CA (DER or PEM).
  std::string pck_crl;
  // PEM chain of the PCK CRL issuer (informational; the CRL is verified with the quote's CA).
  std::string pck_crl_issuer_chain_pem;
  // CRL of the root CA (DER or PEM).
  std::string root_ca_crl;
};

struct TdxVerifyOptions {
  // The time at which certificates, CRLs and collateral must be valid. Required.
  absl::Time now = absl::InfinitePast();
  // Trust anchor: a root certificate (PEM or DER). Empty = the root embedded in the quote's
  // PCK chain. Either way its fingerprint must be pinned unless allow_unpinned_root.
  std::string root_certificate;
  // Accept a root whose fingerprint is not kIntelSgxRootCaSha256 (`--allow-root`; synthetic
  // test hierarchies only). The check value then reads "ok" but a report field
  // ROOT_PINNED=false records it.
  bool allow_unpinned_root = false;
  // The `length` check (attest/common/evidence_length.h): when set, no trailing byte and no
  // unused byte inside signature_data / certification data is accepted.
  bool strict_length = false;
  // Let a missing PCK CRL / root CRL / QE identity pass as "skipped:..." (offline use).
  bool allow_missing_crls = false;
  bool allow_missing_qe_identity = false;
  // tcb / qe_identity statuses that make those checks pass.
  std::vector<std::string> accepted_tcb_statuses = {
      "UpToDate", "SWHardeningNeeded", "ConfigurationNeeded", "ConfigurationAndSWHardeningNeeded"};
};

// Which collateral a quote needs, from its PCK certificate.
struct CollateralKey {
  std::string fmspc;  // 12 lowercase hex digits
  std::string ca;     // "platform" or "processor"
};

// Reusable verifier. Caches (keyed by the exact input bytes, bounded in size):
// verified PCK chains with their parsed leaf key and SGX extensions, verified collateral
// signatures with the parsed TCB info / QE identity, verified CRLs, and attestation-key
// objects. Validity windows are re-checked against `now` on every call, so a cache hit never
// extends what a fresh verification would accept. Per repeated quote from one platform the
// remaining cost is the quote signature and QE report signature verifications (2 x P-256).
class TdxVerifier {
 public:
  TdxVerifier();
  ~TdxVerifier();
  TdxVerifier(const TdxVerifier&) = delete;
  TdxVerifier& operator=(const TdxVerifier&) = delete;

  // Verifies `quote` (raw bytes). Bytes after the signature data are never interpreted; the
  // `length` check judges them (zero padding passes unless options.strict_length). Returns an error
  // status only when the quote cannot be parsed at all (the message names the field and offset) or
  // options.now is unset; every other problem is a failed check in the report.
  absl::StatusOr<VerificationReport> Verify(std::string_view quote, const TdxCollateral& collateral,
                                            const TdxVerifyOptions& options);

  // Drops every cached result (for tests and benchmarks).
  void ClearCaches();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One-shot convenience: a fresh TdxVerifier per call.
absl::StatusOr<VerificationReport> VerifyTdxQuote(std::string_view quote,
                                                  const TdxCollateral& collateral,
                                                  const TdxVerifyOptions& options);

// FMSPC and CA of the quote's PCK certificate (parses the quote and the leaf certificate only).
absl::StatusOr<CollateralKey> CollateralKeyForQuote(std::string_view quote);

// Loads collateral from a cache directory with the layout described above.
absl::StatusOr<TdxCollateral> LoadCollateralFromDirectory(const std::string& dir,
                                                          const CollateralKey& key);

// Reads a quote file: raw binary, or hex text (optional "0x" prefix, whitespace ignored), as
// in tdx-quote.hex / quote-from-tappd.hex. Size-limited.
absl::StatusOr<std::string> LoadQuoteFile(const std::string& path);

// Reads a Phala dcap-qvl QuoteCollateralV3 JSON file (*_collateral.json: tcb_info and
// qe_identity as JSON strings with separate hex signatures, hex CRLs, PEM issuer chains) and
// converts it to TdxCollateral, wrapping the signed JSON strings byte-for-byte into PCS-style
// documents so the signatures still cover exactly the same bytes.
absl::StatusOr<TdxCollateral> LoadPhalaCollateralJson(const std::string& path);

}  // namespace pv::attest::tdx

#endif  // PV_ATTEST_TDX_TDX_VERIFIER_H_
