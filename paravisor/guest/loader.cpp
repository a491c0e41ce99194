#include "guest/loader.h"

#include "guest/abi.h"
#include "lib/string.h"

namespace pv {
namespace {

struct Elf64Header {
  u8 ident[16];
  u16 type, machine;
  u32 version;
  u64 entry, phoff, shoff;
  u32 flags;
  u16 ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
static_assert(sizeof(Elf64Header) == 64);

struct Elf64Phdr {
  u32 type, flags;
  u64 offset, vaddr, paddr, filesz, memsz, align;
};
static_assert(sizeof(Elf64Phdr) == 56);

constexpr u32 kPtLoad = 1;
constexpr u32 kPfExecute = 1;
constexpr u16 kEtExec = 2;
constexpr u16 kEmX86_64 = 62;

bool IsElf(const u8* image, u64 size) {
  return size >= 4 && image[0] == 0x7f && image[1] == 'E' && image[2] == 'L' && image[3] == 'F';
}

struct Segment {
  u64 file_offset, filesz, gpa, memsz;
  bool exec;
};

Result<LoadedImage> LoadElf(GuestMemory& memory, const u8* image, u64 size, u64 limit) {
  if (size < sizeof(Elf64Header))
    return Status(Err::kInvalidArgument, "guest ELF: truncated header");
  Elf64Header h;
  memcpy(&h, image, sizeof(h));
  if (h.ident[4] != 2 || h.ident[5] != 1) {
    return Status(Err::kUnsupported,
                  "guest ELF: not 64-bit little-endian (ELFCLASS64/ELFDATA2LSB)");
  }
  if (h.type != kEtExec || h.machine != kEmX86_64) {
    return Status(Err::kUnsupported, "guest ELF: not an x86-64 executable (ET_EXEC, EM_X86_64)");
  }
  if (h.phentsize != sizeof(Elf64Phdr) || h.phnum == 0 || h.phnum > 64) {
    return Status(Err::kInvalidArgument, "guest ELF: program header size or count invalid");
  }
  if (h.phoff > size || h.phnum * sizeof(Elf64Phdr) > size - h.phoff) {
    return Status(Err::kOutOfRange, "guest ELF: program headers extend past the file");
  }
  // Validate every segment before writing any, so a rejected image writes nothing.
  Segment segs[kMaxLoadSegments];
  usize count = 0;
  for (u16 i = 0; i < h.phnum; ++i) {
    Elf64Phdr p;
    memcpy(&p, image + h.phoff + i * sizeof(Elf64Phdr), sizeof(p));
    if (p.type != kPtLoad || p.memsz == 0) continue;
    if (count == kMaxLoadSegments)
      return Status(Err::kOutOfRange, "guest ELF: too many PT_LOAD segments");
    if (p.filesz > p.memsz)
      return Status(Err::kInvalidArgument, "guest ELF: segment filesz > memsz");
    if (p.offset > size || p.filesz > size - p.offset) {
      return Status(Err::kOutOfRange, "guest ELF: segment data extends past the file");
    }
    if (p.paddr < abi::kImageBase || p.paddr >= limit || p.memsz > limit - p.paddr) {
      return Status(Err::kOutOfRange, "guest ELF: segment outside loadable guest memory");
    }
    segs[count++] = {p.offset, p.filesz, p.paddr, p.memsz, (p.flags & kPfExecute) != 0};
  }
  if (count == 0) return Status(Err::kInvalidArgument, "guest ELF: no PT_LOAD segments");
  LoadedImage out;
  out.elf = true;
  out.entry = h.entry;
  out.start = ~0ull;
  bool entry_ok = false;
  for (usize i = 0; i < count; ++i) {
    if (segs[i].exec && h.entry >= segs[i].gpa && h.entry < segs[i].gpa + segs[i].memsz)
      entry_ok = true;
    if (segs[i].gpa < out.start) out.start = segs[i].gpa;
    if (segs[i].gpa + segs[i].memsz > out.end) out.end = segs[i].gpa + segs[i].memsz;
  }
  if (!entry_ok)
    return Status(Err::kInvalidArgument, "guest ELF: entry point not in an executable segment");
  for (usize i = 0; i < count; ++i) {
    u8* dst = memory.HostPointer(segs[i].gpa, segs[i].memsz);
    memcpy(dst, image + segs[i].file_offset, segs[i].filesz);
    memset(dst + segs[i].filesz, 0, segs[i].memsz - segs[i].filesz);
  }
  return out;
}

}  // namespace

Result<LoadedImage> LoadGuestImage(GuestMemory& memory, const u8* image, u64 image_size) {
  if (memory.size() < abi::kImageBase + kStackReserve) {
    return Status(Err::kOutOfRange, "guest image: guest memory too small to hold any image");
  }
  const u64 limit = memory.size() - kStackReserve;
  if (image_size == 0) return Status(Err::kInvalidArgument, "guest image: empty");
  if (IsElf(image, image_size)) return LoadElf(memory, image, image_size, limit);
  if (image_size > limit - abi::kImageBase) {
    return Status(Err::kOutOfRange, "guest image: flat binary larger than guest memory allows");
  }
  memcpy(memory.HostPointer(abi::kImageBase, image_size), image, image_size);
  return LoadedImage{abi::kImageBase, abi::kImageBase, abi::kImageBase + image_size, false};
}

}  // namespace pv
