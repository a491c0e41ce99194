#include "elf_image.h"

#include <elf.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

namespace hwmodel {
namespace {

constexpr uint64_t kMaxSegmentBytes = 64ull << 20;

bool InFile(const std::vector<uint8_t>& file, uint64_t offset, uint64_t size) {
  return offset <= file.size() && size <= file.size() - offset;
}

}  // namespace

uint64_t ElfImage::Symbol(const std::string& name) const {
  const auto it = symbols.find(name);
  if (it == symbols.end()) {
    (void)std::fprintf(stderr, "hwmodel: symbol %s not in %s\n", name.c_str(), path.c_str());
    std::abort();
  }
  return it->second;
}

uint64_t ElfImage::SymbolWithPrefix(const std::string& prefix) const {
  uint64_t found = 0;
  int matches = 0;
  for (auto it = symbols.lower_bound(prefix);
       it != symbols.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    found = it->second;
    ++matches;
  }
  if (matches != 1) {
    (void)std::fprintf(stderr, "hwmodel: %d symbols start with %s in %s\n", matches, prefix.c_str(),
                       path.c_str());
    std::abort();
  }
  return found;
}

bool LoadElf(const std::string& path, ElfImage* image, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = path + ": cannot open";
    return false;
  }
  const std::vector<uint8_t> file{std::istreambuf_iterator<char>(in), {}};
  Elf64_Ehdr eh;
  if (!InFile(file, 0, sizeof(eh))) {
    *error = path + ": shorter than an ELF header";
    return false;
  }
  std::memcpy(&eh, file.data(), sizeof(eh));
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_machine != EM_X86_64 || eh.e_type != ET_EXEC) {
    *error = path + ": not an x86-64 ELF executable";
    return false;
  }
  image->path = path;
  if (eh.e_phentsize != sizeof(Elf64_Phdr) ||
      !InFile(file, eh.e_phoff, uint64_t{eh.e_phnum} * sizeof(Elf64_Phdr))) {
    *error = path + ": program headers outside the file";
    return false;
  }
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    std::memcpy(&ph, file.data() + eh.e_phoff + i * sizeof(ph), sizeof(ph));
    if (ph.p_type != PT_LOAD) continue;
    if (ph.p_filesz > ph.p_memsz || ph.p_memsz > kMaxSegmentBytes ||
        !InFile(file, ph.p_offset, ph.p_filesz)) {
      *error = path + ": PT_LOAD segment " + std::to_string(i) + " has bad sizes";
      return false;
    }
    Segment seg;
    seg.vaddr = ph.p_vaddr;
    seg.bytes.assign(ph.p_memsz, 0);
    std::memcpy(seg.bytes.data(), file.data() + ph.p_offset, ph.p_filesz);
    image->segments.push_back(std::move(seg));
  }
  if (eh.e_shentsize != sizeof(Elf64_Shdr) ||
      !InFile(file, eh.e_shoff, uint64_t{eh.e_shnum} * sizeof(Elf64_Shdr))) {
    *error = path + ": section headers outside the file";
    return false;
  }
  std::vector<Elf64_Shdr> sections(eh.e_shnum);
  std::memcpy(sections.data(), file.data() + eh.e_shoff, eh.e_shnum * sizeof(Elf64_Shdr));
  for (const Elf64_Shdr& sh : sections) {
    if (sh.sh_type != SHT_SYMTAB) continue;
    if (sh.sh_link >= sections.size() || sh.sh_entsize != sizeof(Elf64_Sym) ||
        !InFile(file, sh.sh_offset, sh.sh_size)) {
      *error = path + ": bad symbol table";
      return false;
    }
    const Elf64_Shdr& strtab = sections[sh.sh_link];
    if (!InFile(file, strtab.sh_offset, strtab.sh_size)) {
      *error = path + ": bad string table";
      return false;
    }
    for (uint64_t off = 0; off + sizeof(Elf64_Sym) <= sh.sh_size; off += sizeof(Elf64_Sym)) {
      Elf64_Sym sym;
      std::memcpy(&sym, file.data() + sh.sh_offset + off, sizeof(sym));
      if (sym.st_name == 0 || sym.st_name >= strtab.sh_size || sym.st_shndx == SHN_UNDEF) {
        continue;
      }
      const char* name =
          reinterpret_cast<const char*>(file.data() + strtab.sh_offset) + sym.st_name;
      const size_t max_len = strtab.sh_size - sym.st_name;
      image->symbols[std::string(name, strnlen(name, max_len))] = sym.st_value;
    }
  }
  if (image->segments.empty() || image->symbols.empty()) {
    *error = path + ": no loadable segment or no symbols";
    return false;
  }
  return true;
}

}  // namespace hwmodel
