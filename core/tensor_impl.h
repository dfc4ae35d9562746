#pragma once
// What a Tensor handle points at. Private to the library: users see only core/tensor.hpp.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>

#include "nabla/core/shape.hpp"
#include "nabla/core/tensor.hpp"

namespace nabla {
namespace autograd {
struct Hooks;
}

// A copy of a storage's values in a layout only oneDNN reads (blocked, e.g. nChw16c), kept so that a
// chain of oneDNN ops passes values along without reordering them. Implemented in ops/onednn.cpp: core
// only asks it to write the values out in the plain row-major layout.
struct NativeCopy {
  virtual ~NativeCopy() = default;
  virtual void write_plain(void* plain) const = 0;
};

// A block of 64-byte-aligned memory from the caching allocator (core/allocator.cpp), shared by
// every view of it. It goes back to the allocator's cache, not to the OS, when the last view dies.
// Its values may also (or only) live in a NativeCopy: the plain bytes are then made on first plain
// access, once, under a lock (two threads may ask at the same time). The tensor's shape and strides
// always describe the plain layout, so the native copy is invisible to the API.
struct Storage {
  explicit Storage(size_t nbytes);                                     // plain
  Storage(size_t nbytes, std::shared_ptr<const NativeCopy> native);  // values in `native` only
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  // The plain bytes, made from the native copy if they are not there yet; the native copy is kept.
  void* plain();
  // The plain bytes for writing: the native copy is dropped, since it would go stale.
  void* plain_for_write();
  // The native copy if there is one that holds the current values.
  std::shared_ptr<const NativeCopy> native() const;
  // Keeps `copy` (which holds the current values) beside the plain bytes, for the next oneDNN reader.
  void attach_native(std::shared_ptr<const NativeCopy> copy);
  // Whether the values are known to hold no NaN, or to be all finite (an op scanned them, or made them from
  // values that were), so the ops that must look for NaN or inf (ops/onednn.h) need not scan again. A write
  // forgets it.
  bool known_nan_free() const { return known_.load(std::memory_order_acquire) >= kNanFree; }
  bool known_finite() const { return known_.load(std::memory_order_acquire) == kFinite; }
  void mark_nan_free() { known_.fetch_or(kNanFree, std::memory_order_acq_rel); }
  void mark_finite() { known_.store(kFinite, std::memory_order_release); }

  const size_t nbytes;
  uint64_t version = 0;
  const uint64_t id;  // unique for the process's lifetime (addresses get reused; ids do not)

 private:
  mutable std::mutex mutex_;
  void* data_ = nullptr;
  std::atomic<bool> plain_valid_;
  static constexpr uint8_t kNanFree = 1, kFinite = 3;  // finite implies NaN-free
  std::atomic<uint8_t> known_{0};
  std::shared_ptr<const NativeCopy> native_;
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;  // in elements
  int64_t offset = 0;  // in elements
  Dtype dtype = Dtype::Float32;

  bool requires_grad = false;  // set on leaves by requires_grad_()
  Tensor grad;
  std::shared_ptr<autograd::Node> grad_fn;  // set on results of recorded ops
  std::shared_ptr<autograd::Hooks> hooks;   // a leaf's gradient hooks (a non-leaf's live on its grad_fn)

  // The elements in the plain layout, for reading (a native copy is kept) or writing (it is dropped).
  void* data() const { return at(storage->plain()); }
  void* mutable_data() const { return at(storage->plain_for_write()); }

 private:
  void* at(void* base) const { return static_cast<std::byte*>(base) + offset * static_cast<int64_t>(element_size(dtype)); }
};

// The allocator behind Storage: blocks are kept per size and reused, so a training step that
// allocates the same shapes every iteration touches no new pages after the first.
void* allocate_block(size_t nbytes);
void release_block(void* data, size_t nbytes);

// The plain elements of t for reading, without dropping a native copy (library kernels; users get data_ptr).
template <class T>
const T* read_ptr(const Tensor& t);

// A contiguous tensor of `shape` over the whole of `storage`.
Tensor tensor_on(std::shared_ptr<Storage> storage, const Shape& shape, Dtype dtype = kFloat32);

// A new tensor sharing `base`'s storage with a different geometry (no autograd metadata).
Tensor make_view(const Tensor& base, Shape shape, Shape strides, int64_t offset);

}  // namespace nabla
