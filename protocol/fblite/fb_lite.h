// A tiny freestanding flatbuffers writer and bounds-checked reader.
//
// The firmware cannot use the flatbuffers C++ library (it needs std::vector/std::string), so it
// writes and reads the handful of exit-proxy tables with this. The output is ordinary
// flatbuffers binary format (little-endian): a root uoffset, a file identifier, then objects
// laid out front to back, each vtable before its table, every child object after the field
// that refers to it (uoffsets are unsigned, so they must point forward). Host tests check
// the bytes against flatc-generated code and the official Verifier in both directions.
//
// Only <stdint.h>/<stddef.h>; no allocation; every read is bounds- and alignment-checked
// against the buffer length, mirroring flatbuffers::Verifier.
#ifndef PV_PROTOCOL_FBLITE_FB_LITE_H_
#define PV_PROTOCOL_FBLITE_FB_LITE_H_

#include <stddef.h>
#include <stdint.h>

namespace pv::fblite {

// x86-64 only (both sides of this protocol): host byte order is little-endian.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "flatbuffers are little-endian");

inline void StoreLe(uint8_t* p, uint64_t v, uint32_t size) {
  for (uint32_t i = 0; i < size; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline uint64_t LoadLe(const uint8_t* p, uint32_t size) {
  uint64_t v = 0;
  for (uint32_t i = 0; i < size; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

// One field of a table being written. Scalars carry their value; offset fields are patched
// later with Writer::PatchOffset once the child object's position is known.
struct FieldSpec {
  uint8_t size;     // 0 = absent; 1, 2, 4, 8 = scalar or (4) uoffset
  uint64_t value;   // scalar value (ignored for offsets)
  uint32_t* patch;  // if set, receives the field's buffer position (offset fields)
};

inline constexpr uint32_t kMaxFields = 8;

class Writer {
 public:
  Writer(uint8_t* buffer, uint32_t capacity) : buf_(buffer), cap_(capacity) {}

  bool ok() const { return ok_; }
  uint32_t size() const { return len_; }

  // Pads with zeros to `align` (power of two) and returns the new position.
  uint32_t Align(uint32_t align) {
    while (ok_ && (len_ & (align - 1)) != 0) PutByte(0);
    return len_;
  }

  uint32_t PutBytes(const void* data, uint32_t n) {
    const uint32_t at = len_;
    if (!Room(n)) return at;
    const uint8_t* src = static_cast<const uint8_t*>(data);
    for (uint32_t i = 0; i < n; ++i) buf_[len_ + i] = src[i];
    len_ += n;
    return at;
  }

  uint32_t PutScalar(uint64_t v, uint32_t size) {
    const uint32_t at = len_;
    if (!Room(size)) return at;
    StoreLe(buf_ + len_, v, size);
    len_ += size;
    return at;
  }

  // Root uoffset placeholder plus the 4-byte file identifier; returns the placeholder position.
  uint32_t BeginBuffer(const char identifier[4]) {
    const uint32_t root = PutScalar(0, 4);
    PutBytes(identifier, 4);
    return root;
  }

  // Makes the uoffset at `field_pos` point at `target` (which must lie after it).
  void PatchOffset(uint32_t field_pos, uint32_t target) {
    if (!ok_ || target <= field_pos || field_pos + 4 > len_) {
      ok_ = false;
      return;
    }
    StoreLe(buf_ + field_pos, target - field_pos, 4);
  }

  // Writes a vtable and then its table; returns the table's position. Fields are placed
  // largest first so each is naturally aligned inside a table aligned to the largest size.
  uint32_t PutTable(const FieldSpec* fields, uint32_t count) {
    if (count > kMaxFields) {
      ok_ = false;
      return 0;
    }
    uint16_t field_offsets[kMaxFields] = {};
    uint32_t inline_size = 4;  // the soffset to the vtable
    uint32_t max_align = 4;
    for (uint32_t size = 8; size >= 1; size /= 2) {
      for (uint32_t i = 0; i < count; ++i) {
        if (fields[i].size != size) continue;
        inline_size = (inline_size + size - 1) & ~(size - 1);
        field_offsets[i] = static_cast<uint16_t>(inline_size);
        inline_size += size;
        if (size > max_align) max_align = size;
      }
    }
    // Trailing absent fields need no vtable entry (what flatc's builder does too).
    uint32_t used = count;
    while (used > 0 && fields[used - 1].size == 0) --used;
    Align(2);
    const uint32_t vtable = len_;
    PutScalar(4 + 2 * used, 2);
    PutScalar(inline_size, 2);
    for (uint32_t i = 0; i < used; ++i) PutScalar(field_offsets[i], 2);
    Align(max_align);
    const uint32_t table = len_;
    if (!Room(inline_size)) return 0;
    for (uint32_t i = 0; i < inline_size; ++i) buf_[len_ + i] = 0;
    len_ += inline_size;
    StoreLe(buf_ + table, static_cast<uint32_t>(table - vtable), 4);  // soffset, positive
    for (uint32_t i = 0; i < count; ++i) {
      if (fields[i].size == 0) continue;
      const uint32_t at = table + field_offsets[i];
      StoreLe(buf_ + at, fields[i].value, fields[i].size);
      if (fields[i].patch != nullptr) *fields[i].patch = at;
    }
    return table;
  }

  // A vector of `count` elements of `elem_size` bytes (already little-endian), aligned for
  // `elem_align`; `nul_terminate` makes it a string. Returns the position of the length word.
  uint32_t PutVector(const void* elems, uint32_t count, uint32_t elem_size, uint32_t elem_align,
                     bool nul_terminate) {
    const uint32_t align = elem_align > 4 ? elem_align : 4;
    // The length word sits right before the first element, which must be aligned.
    while (ok_ && ((len_ + 4) & (align - 1)) != 0) PutByte(0);
    const uint32_t at = PutScalar(count, 4);
    if (static_cast<uint64_t>(count) * elem_size > cap_) {
      ok_ = false;
      return at;
    }
    PutBytes(elems, count * elem_size);
    if (nul_terminate) PutByte(0);
    return at;
  }

 private:
  bool Room(uint32_t n) {
    if (!ok_ || n > cap_ - len_) {
      ok_ = false;
      return false;
    }
    return true;
  }
  void PutByte(uint8_t b) {
    if (Room(1)) buf_[len_++] = b;
  }

  uint8_t* buf_;
  uint32_t cap_;
  uint32_t len_ = 0;
  bool ok_ = true;
};

// A table inside a buffer whose vtable has been checked to lie inside the buffer.
class TableView {
 public:
  TableView() = default;

  // Validates the table at `pos`: alignment, soffset, vtable size and bounds, table size.
  static bool Open(const uint8_t* buf, uint32_t len, uint32_t pos, TableView* out) {
    if (pos & 3u || static_cast<uint64_t>(pos) + 4 > len) return false;
    const int32_t soffset = static_cast<int32_t>(LoadLe(buf + pos, 4));
    const int64_t vtable = static_cast<int64_t>(pos) - soffset;
    if (vtable < 0 || (vtable & 1) || vtable + 4 > len) return false;
    const uint32_t vsize = static_cast<uint32_t>(LoadLe(buf + vtable, 2));
    const uint32_t tsize = static_cast<uint32_t>(LoadLe(buf + vtable + 2, 2));
    if (vsize < 4 || (vsize & 1) || vtable + vsize > len) return false;
    if (tsize < 4 || static_cast<uint64_t>(pos) + tsize > len) return false;
    *out = TableView(buf, len, pos, static_cast<uint32_t>(vtable), vsize, tsize);
    return true;
  }

  // Position of field `index` in the buffer, or 0 if absent. Fails (returns false) if the
  // field does not fit the table or is misaligned.
  bool FieldPos(uint32_t index, uint32_t size, uint32_t* field_pos) const {
    *field_pos = 0;
    const uint32_t entry = 4 + 2 * index;
    if (entry + 2 > vsize_) return true;  // beyond the vtable: absent
    const uint32_t off = static_cast<uint32_t>(LoadLe(buf_ + vtable_ + entry, 2));
    if (off == 0) return true;
    if (off + size > tsize_) return false;
    const uint32_t at = pos_ + off;
    if (at & (size - 1)) return false;
    *field_pos = at;
    return true;
  }

  // Reads a scalar field, or `default_value` when absent.
  bool Scalar(uint32_t index, uint32_t size, uint64_t default_value, uint64_t* out) const {
    uint32_t at;
    if (!FieldPos(index, size, &at)) return false;
    *out = at == 0 ? default_value : LoadLe(buf_ + at, size);
    return true;
  }

  // Follows an offset field to the object it names; *target = 0 when absent.
  bool Offset(uint32_t index, uint32_t* target) const {
    uint32_t at;
    *target = 0;
    if (!FieldPos(index, 4, &at)) return false;
    if (at == 0) return true;
    const uint64_t dest = static_cast<uint64_t>(at) + LoadLe(buf_ + at, 4);
    if (dest >= len_ || dest == at) return false;
    *target = static_cast<uint32_t>(dest);
    return true;
  }

  // A vector field: element data pointer and count, bounds- and alignment-checked. For strings
  // also requires the NUL terminator flatbuffers guarantees.
  bool Vector(uint32_t index, uint32_t elem_size, uint32_t elem_align, bool is_string,
              const uint8_t** data, uint32_t* count) const {
    *data = nullptr;
    *count = 0;
    uint32_t at;
    if (!Offset(index, &at)) return false;
    if (at == 0) return true;
    if (at & 3u || static_cast<uint64_t>(at) + 4 > len_) return false;
    const uint64_t n = LoadLe(buf_ + at, 4);
    const uint64_t bytes = n * elem_size + (is_string ? 1 : 0);
    if (static_cast<uint64_t>(at) + 4 + bytes > len_) return false;
    if ((at + 4) & (elem_align - 1)) return false;
    if (is_string && buf_[at + 4 + n] != 0) return false;
    *data = buf_ + at + 4;
    *count = static_cast<uint32_t>(n);
    return true;
  }

  const uint8_t* buffer() const { return buf_; }
  uint32_t length() const { return len_; }

 private:
  TableView(const uint8_t* buf, uint32_t len, uint32_t pos, uint32_t vtable, uint32_t vsize,
            uint32_t tsize)
      : buf_(buf), len_(len), pos_(pos), vtable_(vtable), vsize_(vsize), tsize_(tsize) {}

  const uint8_t* buf_ = nullptr;
  uint32_t len_ = 0;
  uint32_t pos_ = 0;
  uint32_t vtable_ = 0;
  uint32_t vsize_ = 0;
  uint32_t tsize_ = 0;
};

}  // namespace pv::fblite

#endif  // PV_PROTOCOL_FBLITE_FB_LITE_H_
