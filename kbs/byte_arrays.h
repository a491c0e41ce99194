// Fast path for trustee's byte strings. Its attesters serialise an SNP report and each
// certificate as a JSON array of integers (serde's Vec<u8>): about 6000 numbers per SNP
// evidence, each of which nlohmann::json would lex, store as a value of its own and free again
// (three quarters of the KBS's parsing time). ParseJsonWithByteArrays gives the same document
// as nlohmann::json::parse, except that every array of at least kMinByteArray integer literals
// 0..255 in a value position inside `scope` arrives as a json binary value holding those bytes
// (evidence.cc's ByteString reads both forms alike).
//
// How: one pass over the text (strings and escapes skipped, a bounded container stack) decodes
// such arrays and replaces each with a placeholder string "\u0000pv-bytes:N"; nlohmann parses
// the much shorter text; the placeholders are swapped for the decoded bytes. A text that
// already contains the placeholder prefix, nests deeper than the stack, or is not what the
// scan expects is parsed unchanged (the plain, slower path), so the result never depends on
// the shortcut. The runtime data is outside the tee-evidence scope: its JCS form, which the
// evidence binds, sees exactly what the attester sent.
#ifndef PV_KBS_BYTE_ARRAYS_H_
#define PV_KBS_BYTE_ARRAYS_H_

#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

namespace pv::kbs {

inline constexpr size_t kMinByteArray = 32;

enum class ByteArrayScope {
  kWholeDocument,  // every byte array (a primary_evidence sent as a JSON string)
  kTeeEvidence,    // only inside the value of the top-level object's "tee-evidence"
};

// Whether no container nests deeper than `limit` (strings skipped; the text need not be valid
// JSON): checked before nlohmann, whose destructor would recurse that deep.
bool JsonDepthWithin(std::string_view text, int limit);

// A discarded value (is_discarded()) when the text is not valid JSON, or when it nests
// containers deeper than `max_depth` (then `*too_deep` is set and nothing was parsed): the
// scan that finds the byte arrays also bounds the depth, so the text is read once before
// nlohmann sees it.
nlohmann::json ParseJsonWithByteArrays(std::string_view text, ByteArrayScope scope, int max_depth,
                                       bool* too_deep);

}  // namespace pv::kbs

#endif  // PV_KBS_BYTE_ARRAYS_H_
