// A small thread-safe cache of immutable, shared results for TdxVerifier. Keys are the exact
// input bytes a result was computed from, so a hit can only return what recomputing would.
#ifndef PV_ATTEST_TDX_BOUNDED_CACHE_H_
#define PV_ATTEST_TDX_BOUNDED_CACHE_H_

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace pv::attest::tdx {

// Holds at most `kMaxEntries`; when full it is cleared wholesale (simple, and a refill costs
// only what an uncached verification costs). Entries are shared_ptr<const V>, so a caller keeps
// using an entry safely after another thread evicted it.
template <typename V, size_t kMaxEntries = 256>
class BoundedCache {
 public:
  std::shared_ptr<const V> Get(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(key);
    return it == map_.end() ? nullptr : it->second;
  }
  void Put(const std::string& key, std::shared_ptr<const V> value) {
    std::lock_guard<std::mutex> lock(mu_);
    if (map_.size() >= kMaxEntries) map_.clear();
    map_[key] = std::move(value);
  }
  void Clear() {
    std::lock_guard<std::mutex> lock(mu_);
    map_.clear();
  }

 private:
  std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const V>> map_;
};

}  // namespace pv::attest::tdx

#endif  // PV_ATTEST_TDX_BOUNDED_CACHE_H_
