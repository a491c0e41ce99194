#include "kbs/json.h"

#include "lib/string.h"

namespace pv::kbs_client {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// A cursor over one validated or to-be-validated text; every read is bounds-checked.
struct Cursor {
  const char* p;
  usize len;
  usize at = 0;

  bool End() const { return at >= len; }
  char Peek() const { return at < len ? p[at] : '\0'; }
  void SkipSpace() {
    while (at < len && IsSpace(p[at])) ++at;
  }
  bool Eat(char c) {
    if (Peek() != c || End()) return false;
    ++at;
    return true;
  }
};

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Scans a string starting at '"'; leaves the cursor after the closing quote.
bool ScanString(Cursor& c) {
  if (!c.Eat('"')) return false;
  while (!c.End()) {
    const char ch = c.p[c.at++];
    if (ch == '"') return true;
    if (static_cast<unsigned char>(ch) < 0x20) return false;
    if (ch != '\\') continue;
    if (c.End()) return false;
    const char e = c.p[c.at++];
    if (e == 'u') {
      for (int i = 0; i < 4; ++i) {
        if (c.End() || HexDigit(c.p[c.at++]) < 0) return false;
      }
    } else if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' &&
               e != 't') {
      return false;
    }
  }
  return false;
}

bool ScanDigits(Cursor& c) {
  const usize start = c.at;
  while (!c.End() && c.Peek() >= '0' && c.Peek() <= '9') ++c.at;
  return c.at > start;
}

bool ScanNumber(Cursor& c) {
  c.Eat('-');
  if (c.Peek() == '0') {
    ++c.at;
  } else if (!ScanDigits(c)) {
    return false;
  }
  if (c.Eat('.') && !ScanDigits(c)) return false;
  if (c.Peek() == 'e' || c.Peek() == 'E') {
    ++c.at;
    if (!c.Eat('+')) c.Eat('-');
    if (!ScanDigits(c)) return false;
  }
  return true;
}

bool ScanLiteral(Cursor& c, const char* word) {
  const usize n = strlen(word);
  if (c.len - c.at < n || memcmp(c.p + c.at, word, n) != 0) return false;
  c.at += n;
  return true;
}

// Scans one value (no leading whitespace); `depth` counts the enclosing containers.
bool ScanValue(Cursor& c, u32 depth) {
  switch (c.Peek()) {
    case '"':
      return ScanString(c);
    case '{':
    case '[': {
      if (depth >= kMaxDepth) return false;
      const bool object = c.Peek() == '{';
      const char close = object ? '}' : ']';
      ++c.at;
      c.SkipSpace();
      if (c.Eat(close)) return true;
      for (;;) {
        if (object) {
          if (!ScanString(c)) return false;
          c.SkipSpace();
          if (!c.Eat(':')) return false;
          c.SkipSpace();
        }
        if (!ScanValue(c, depth + 1)) return false;
        c.SkipSpace();
        if (c.Eat(close)) return true;
        if (!c.Eat(',')) return false;
        c.SkipSpace();
      }
    }
    case 't':
      return ScanLiteral(c, "true");
    case 'f':
      return ScanLiteral(c, "false");
    case 'n':
      return ScanLiteral(c, "null");
    default:
      return ScanNumber(c);
  }
}

// Appends the UTF-8 form of code point `cp` (< 0x10000 or a combined surrogate pair).
bool PutUtf8(u32 cp, char* out, usize cap, usize* o) {
  u8 b[4];
  usize n;
  if (cp < 0x80) {
    b[0] = static_cast<u8>(cp);
    n = 1;
  } else if (cp < 0x800) {
    b[0] = static_cast<u8>(0xC0 | (cp >> 6));
    b[1] = static_cast<u8>(0x80 | (cp & 0x3F));
    n = 2;
  } else if (cp < 0x10000) {
    b[0] = static_cast<u8>(0xE0 | (cp >> 12));
    b[1] = static_cast<u8>(0x80 | ((cp >> 6) & 0x3F));
    b[2] = static_cast<u8>(0x80 | (cp & 0x3F));
    n = 3;
  } else {
    b[0] = static_cast<u8>(0xF0 | (cp >> 18));
    b[1] = static_cast<u8>(0x80 | ((cp >> 12) & 0x3F));
    b[2] = static_cast<u8>(0x80 | ((cp >> 6) & 0x3F));
    b[3] = static_cast<u8>(0x80 | (cp & 0x3F));
    n = 4;
  }
  if (cap - *o < n) return false;
  memcpy(out + *o, b, n);
  *o += n;
  return true;
}

u32 Hex4(const char* p) {
  u32 v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 4) | static_cast<u32>(HexDigit(p[i]));
  return v;
}

}  // namespace

Status JsonCheck(const char* text, usize len) {
  if (len > kMaxJsonText) return Status(Err::kOutOfRange, "json: text longer than 32 KiB");
  Cursor c{text, len};
  c.SkipSpace();
  if (!ScanValue(c, 0)) return Status(Err::kInvalidArgument, "json: malformed or nested too deep");
  c.SkipSpace();
  if (!c.End()) return Status(Err::kInvalidArgument, "json: trailing bytes after the value");
  return Status::Ok();
}

JsonType JsonTypeOf(JsonSpan v) {
  if (v.len == 0) return JsonType::kInvalid;
  switch (v.data[0]) {
    case '{':
      return JsonType::kObject;
    case '[':
      return JsonType::kArray;
    case '"':
      return JsonType::kString;
    case 't':
    case 'f':
    case 'n':
      return JsonType::kLiteral;
    default:
      return JsonType::kNumber;
  }
}

Result<JsonSpan> JsonMember(JsonSpan object, const char* key) {
  Cursor c{object.data, object.len};
  c.SkipSpace();
  if (!c.Eat('{')) return Status(Err::kInvalidArgument, "json: not an object");
  const usize key_len = strlen(key);
  JsonSpan found;
  bool have = false;
  c.SkipSpace();
  if (c.Eat('}')) return Status(Err::kNotFound, "json: member missing");
  for (;;) {
    const usize key_start = c.at;
    if (!ScanString(c)) return Status(Err::kInvalidArgument, "json: bad member name");
    // Raw comparison: the names this client looks for contain no escapes, and a name written
    // with escapes is a different (unknown) member to it.
    const bool match =
        c.at - key_start == key_len + 2 && memcmp(object.data + key_start + 1, key, key_len) == 0;
    c.SkipSpace();
    if (!c.Eat(':')) return Status(Err::kInvalidArgument, "json: ':' expected");
    c.SkipSpace();
    const usize value_start = c.at;
    if (!ScanValue(c, 1)) return Status(Err::kInvalidArgument, "json: bad member value");
    if (match) {
      if (have) return Status(Err::kInvalidArgument, "json: duplicated member");
      found = JsonSpan{object.data + value_start, c.at - value_start};
      have = true;
    }
    c.SkipSpace();
    if (c.Eat('}')) break;
    if (!c.Eat(',')) return Status(Err::kInvalidArgument, "json: ',' expected");
    c.SkipSpace();
  }
  if (!have) return Status(Err::kNotFound, "json: member missing");
  return found;
}

Result<usize> JsonMemberCount(JsonSpan object) {
  Cursor c{object.data, object.len};
  c.SkipSpace();
  if (!c.Eat('{')) return Status(Err::kInvalidArgument, "json: not an object");
  c.SkipSpace();
  usize n = 0;
  if (c.Eat('}')) return n;
  for (;;) {
    if (!ScanString(c)) return Status(Err::kInvalidArgument, "json: bad member name");
    c.SkipSpace();
    if (!c.Eat(':')) return Status(Err::kInvalidArgument, "json: ':' expected");
    c.SkipSpace();
    if (!ScanValue(c, 1)) return Status(Err::kInvalidArgument, "json: bad member value");
    ++n;
    c.SkipSpace();
    if (c.Eat('}')) return n;
    if (!c.Eat(',')) return Status(Err::kInvalidArgument, "json: ',' expected");
    c.SkipSpace();
  }
}

Result<usize> JsonString(JsonSpan value, char* out, usize cap) {
  Cursor c{value.data, value.len};
  if (!ScanString(c) || c.at != value.len) {
    return Status(Err::kInvalidArgument, "json: value is not a string");
  }
  usize o = 0;
  const usize end = value.len - 1;  // the closing quote
  for (usize i = 1; i < end;) {
    char ch = value.data[i++];
    if (ch != '\\') {
      if (o >= cap) return Status(Err::kOutOfRange, "json: string too long for its buffer");
      out[o++] = ch;
      continue;
    }
    const char e = value.data[i++];
    if (e == 'u') {
      u32 cp = Hex4(value.data + i);
      i += 4;
      if (cp >= 0xD800 && cp < 0xDC00) {  // a high surrogate must be followed by a low one
        if (end - i < 6 || value.data[i] != '\\' || value.data[i + 1] != 'u') {
          return Status(Err::kInvalidArgument, "json: lone surrogate");
        }
        const u32 lo = Hex4(value.data + i + 2);
        if (lo < 0xDC00 || lo >= 0xE000)
          return Status(Err::kInvalidArgument, "json: bad surrogate");
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        i += 6;
      } else if (cp >= 0xDC00 && cp < 0xE000) {
        return Status(Err::kInvalidArgument, "json: lone surrogate");
      }
      if (!PutUtf8(cp, out, cap, &o)) {
        return Status(Err::kOutOfRange, "json: string too long for its buffer");
      }
      continue;
    }
    switch (e) {
      case 'b':
        ch = '\b';
        break;
      case 'f':
        ch = '\f';
        break;
      case 'n':
        ch = '\n';
        break;
      case 'r':
        ch = '\r';
        break;
      case 't':
        ch = '\t';
        break;
      default:
        ch = e;  // '"', '\\', '/'
        break;
    }
    if (o >= cap) return Status(Err::kOutOfRange, "json: string too long for its buffer");
    out[o++] = ch;
  }
  return o;
}

Result<usize> JsonMemberString(JsonSpan object, const char* key, char* out, usize cap) {
  PV_TRY_ASSIGN(JsonSpan v, JsonMember(object, key));
  return JsonString(v, out, cap);
}

void JsonWriter::Raw(const char* s, usize n) {
  if (overflow_ || cap_ - len_ < n) {
    overflow_ = true;
    return;
  }
  memcpy(buf_ + len_, s, n);
  len_ += n;
}

void JsonWriter::Raw(const char* s) {
  Raw(s, strlen(s));
}

void JsonWriter::String(const char* s, usize n) {
  static constexpr char kHex[] = "0123456789abcdef";
  Raw("\"", 1);
  for (usize i = 0; i < n; ++i) {
    const char ch = s[i];
    const auto u = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      const char esc[2] = {'\\', ch};
      Raw(esc, 2);
    } else if (u < 0x20) {
      // JCS (ECMAScript JSON.stringify): the short escapes where they exist, else \u00XX.
      const char* short_form = ch == '\b'   ? "\\b"
                               : ch == '\f' ? "\\f"
                               : ch == '\n' ? "\\n"
                               : ch == '\r' ? "\\r"
                               : ch == '\t' ? "\\t"
                                            : nullptr;
      if (short_form != nullptr) {
        Raw(short_form, 2);
      } else {
        const char esc[6] = {'\\', 'u', '0', '0', kHex[u >> 4], kHex[u & 15]};
        Raw(esc, 6);
      }
    } else {
      Raw(&ch, 1);
    }
  }
  Raw("\"", 1);
}

void JsonWriter::String(const char* s) {
  String(s, strlen(s));
}

void JsonWriter::Key(const char* key) {
  String(key);
  Raw(":", 1);
}

}  // namespace pv::kbs_client
