// A small, bounded JSON reader and writer for the paravisor's KBS client: the few shapes of the
// trustee KBS protocol (challenge, error, JWE, its protected header), nothing general.
//
// Reading works on a private copy (the caller copied the bytes out of shared memory once):
// JsonCheck validates the whole text first (RFC 8259 grammar, nesting at most kMaxDepth, at most
// kMaxJsonText bytes), and only then are members looked up. A lookup scans the members of one
// object and returns the raw span of the value; nothing is allocated, recursion is bounded by
// the depth limit, and every step is bounded by the text's length.
//
// Writing appends into a fixed buffer; a write past its end sets `overflow` and writes nothing
// more, so the caller checks once at the end. Strings are escaped as RFC 8785 (JCS) does
// (only '"', '\\' and control characters), so an object written with its keys in sorted order
// and without insignificant whitespace is its own JCS canonical form.
#ifndef PV_KBS_CLIENT_JSON_H_
#define PV_KBS_CLIENT_JSON_H_

#include "lib/status.h"
#include "lib/types.h"

namespace pv::kbs_client {

inline constexpr usize kMaxJsonText = 32768;
inline constexpr u32 kMaxDepth = 8;

struct JsonSpan {
  const char* data = nullptr;
  usize len = 0;
};

enum class JsonType : u8 { kInvalid, kObject, kArray, kString, kNumber, kLiteral };

// Validates `text` as exactly one JSON value (surrounding whitespace allowed).
Status JsonCheck(const char* text, usize len);
JsonType JsonTypeOf(JsonSpan value);

// The value of member `key` of `object` (a span JsonCheck accepted, or a value inside it).
// kNotFound when absent; a duplicated key is refused (kInvalidArgument), as the KBS's own
// parser would otherwise be free to pick either.
Result<JsonSpan> JsonMember(JsonSpan object, const char* key);

// How many members `object` has.
Result<usize> JsonMemberCount(JsonSpan object);

// A string value, unescaped, into `out` (no NUL); \u escapes become UTF-8. Returns its length.
Result<usize> JsonString(JsonSpan value, char* out, usize cap);
// Convenience: member `key` as a string.
Result<usize> JsonMemberString(JsonSpan object, const char* key, char* out, usize cap);

class JsonWriter {
 public:
  JsonWriter(char* buffer, usize capacity) : buf_(buffer), cap_(capacity) {}
  void Raw(const char* s);
  void Raw(const char* s, usize n);
  void String(const char* s);
  void String(const char* s, usize n);
  // `"key":` (with the comma before it when needed is the caller's business: see Comma()).
  void Key(const char* key);
  void Comma() { Raw(","); }
  // Marks the output unusable (a part could not be produced).
  void Fail() { overflow_ = true; }
  usize size() const { return len_; }
  bool overflow() const { return overflow_; }
  const char* data() const { return buf_; }

 private:
  char* buf_;
  usize cap_;
  usize len_ = 0;
  bool overflow_ = false;
};

}  // namespace pv::kbs_client

#endif  // PV_KBS_CLIENT_JSON_H_
