// A built firmware image as the hardware model loads it: the PT_LOAD segments of an ELF64
// executable and its symbol table, so each world-switch routine is found by name in the very
// object code linked into paravisor.elf (or into a test-only mutant).
#ifndef PV_TESTS_HWMODEL_ELF_IMAGE_H_
#define PV_TESTS_HWMODEL_ELF_IMAGE_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace hwmodel {

struct Segment {
  uint64_t vaddr = 0;
  std::vector<uint8_t> bytes;  // file bytes, zero-extended to the memory size
};

struct ElfImage {
  std::string path;
  std::vector<Segment> segments;
  std::map<std::string, uint64_t> symbols;

  // The address of `name`; aborts the test run with a clear message when it is missing.
  uint64_t Symbol(const std::string& name) const;
  // The one symbol whose name starts with `prefix` (a C++ function by its mangled-name prefix).
  uint64_t SymbolWithPrefix(const std::string& prefix) const;
};

// Loads an x86-64 ELF executable. On failure returns false with `error` naming the file and
// the problem (sizes and offsets are checked against the file before anything is read).
bool LoadElf(const std::string& path, ElfImage* image, std::string* error);

}  // namespace hwmodel

#endif  // PV_TESTS_HWMODEL_ELF_IMAGE_H_
