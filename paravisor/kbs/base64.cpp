#include "kbs/base64.h"

namespace pv::kbs_client {
namespace {

const char* Alphabet(B64 v) {
  return v == B64::kStandard ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
                             : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
}

// The 6-bit value of `c` in the variant's alphabet, or -1.
int Value(B64 v, char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == (v == B64::kStandard ? '+' : '-')) return 62;
  if (c == (v == B64::kStandard ? '/' : '_')) return 63;
  return -1;
}

}  // namespace

Result<usize> Base64Encode(B64 variant, const u8* in, usize len, char* out, usize cap) {
  const usize need = Base64Length(len, variant);
  if (need > cap) return Status(Err::kOutOfRange, "base64: output buffer too small");
  const char* a = Alphabet(variant);
  usize o = 0;
  usize i = 0;
  for (; i + 3 <= len; i += 3) {
    const u32 w = (u32{in[i]} << 16) | (u32{in[i + 1]} << 8) | in[i + 2];
    out[o++] = a[(w >> 18) & 63];
    out[o++] = a[(w >> 12) & 63];
    out[o++] = a[(w >> 6) & 63];
    out[o++] = a[w & 63];
  }
  const usize rest = len - i;
  if (rest != 0) {
    const u32 w = (u32{in[i]} << 16) | (rest == 2 ? u32{in[i + 1]} << 8 : 0);
    out[o++] = a[(w >> 18) & 63];
    out[o++] = a[(w >> 12) & 63];
    if (rest == 2) out[o++] = a[(w >> 6) & 63];
    if (variant == B64::kStandard) {
      if (rest == 1) out[o++] = '=';
      out[o++] = '=';
    }
  }
  return o;
}

Result<usize> Base64Decode(B64 variant, const char* in, usize len, u8* out, usize cap) {
  usize data = len;
  if (variant == B64::kStandard) {
    if (len % 4 != 0) return Status(Err::kInvalidArgument, "base64: length is not a multiple of 4");
    if (len > 0 && in[len - 1] == '=') --data;
    if (len > 1 && in[len - 2] == '=') --data;
  } else if (len % 4 == 1) {
    return Status(Err::kInvalidArgument, "base64url: impossible length");
  }
  if (data % 4 == 1) return Status(Err::kInvalidArgument, "base64: impossible length");
  const usize n = data / 4 * 3 + (data % 4 == 0 ? 0 : data % 4 - 1);
  if (n > cap) return Status(Err::kOutOfRange, "base64: decoded data too long for its buffer");
  u32 acc = 0;
  usize bits = 0;
  usize o = 0;
  for (usize i = 0; i < data; ++i) {
    const int v = Value(variant, in[i]);
    if (v < 0) return Status(Err::kInvalidArgument, "base64: character outside the alphabet");
    acc = (acc << 6) | static_cast<u32>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = static_cast<u8>(acc >> bits);
    }
  }
  // Leftover bits must be zero (canonical form).
  if (bits != 0 && (acc & ((1u << bits) - 1)) != 0) {
    return Status(Err::kInvalidArgument, "base64: non-zero trailing bits");
  }
  return o;
}

}  // namespace pv::kbs_client
