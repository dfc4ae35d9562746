// The caching allocator: glibc returns large blocks to the OS on free, so a framework that
// allocates per call page-faults on every training step. We keep freed blocks per (rounded) size.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#include "core/tensor_impl.h"

namespace nabla {
namespace {

constexpr size_t kAlignment = 64;
#ifdef __SANITIZE_ADDRESS__
constexpr size_t kMaxCachedBytes = 0;  // let AddressSanitizer see every use after free
#else
constexpr size_t kMaxCachedBytes = size_t(4) << 30;  // beyond this, freed blocks go back to the OS
#endif

size_t round_size(size_t nbytes) {
  const size_t granule = nbytes < (1u << 20) ? kAlignment : 4096;  // fewer size classes for big blocks
  return (std::max<size_t>(nbytes, 1) + granule - 1) / granule * granule;
}

struct BlockCache {
  std::mutex mutex;
  std::unordered_map<size_t, std::vector<void*>> free_blocks;
  size_t cached_bytes = 0;

  ~BlockCache() {
    for (auto& [size, blocks] : free_blocks)
      for (void* block : blocks) std::free(block);
  }
};

BlockCache& cache() {
  static BlockCache* instance = new BlockCache;  // outlives every static Tensor
  return *instance;
}

}  // namespace

void* allocate_block(size_t nbytes) {
  const size_t size = round_size(nbytes);
  {
    auto& c = cache();
    std::lock_guard lock(c.mutex);
    auto it = c.free_blocks.find(size);
    if (it != c.free_blocks.end() && !it->second.empty()) {
      void* block = it->second.back();
      it->second.pop_back();
      c.cached_bytes -= size;
      return block;
    }
  }
  void* block = std::aligned_alloc(kAlignment, size);
  if (!block) throw std::bad_alloc();
  return block;
}

void release_block(void* data, size_t nbytes) {
  const size_t size = round_size(nbytes);
  auto& c = cache();
  std::lock_guard lock(c.mutex);
  if (c.cached_bytes + size > kMaxCachedBytes) {
    std::free(data);
    return;
  }
  c.free_blocks[size].push_back(data);
  c.cached_bytes += size;
}

namespace {
uint64_t next_storage_id() {
  static std::atomic<uint64_t> next_id{0};
  return ++next_id;
}
}  // namespace

Storage::Storage(size_t n) : nbytes(n), id(next_storage_id()), data_(allocate_block(n)), plain_valid_(true) {}

Storage::Storage(size_t n, std::shared_ptr<BackendState> state)
    : nbytes(n), id(next_storage_id()), plain_valid_(false), backend_(std::move(state)) {}

Storage::~Storage() {
  if (data_) release_block(data_, nbytes);
}

void* Storage::plain() {
  if (plain_valid_.load(std::memory_order_acquire)) return data_;
  std::lock_guard lock(mutex_);
  if (!plain_valid_.load(std::memory_order_relaxed)) {
    if (!data_) data_ = allocate_block(nbytes);
    backend_->write_plain(data_);
    plain_valid_.store(true, std::memory_order_release);
  }
  return data_;
}

void* Storage::plain_for_write() {
  void* data = plain();
  std::lock_guard lock(mutex_);
  backend_.reset();
  return data;
}

std::shared_ptr<BackendState> Storage::backend() const {
  std::lock_guard lock(mutex_);
  return backend_;
}

}  // namespace nabla
