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

// What the backend (the oneDNN glue, ops/onednn.cpp) keeps about a storage's values beyond the plain bytes: a
// copy in a layout only it reads (blocked, e.g. nChw16c, so that a chain of oneDNN ops passes values along without
// reordering them), and what its scans found (no NaN, all finite). Core knows only that the state describes the
// values as they are now, so a write through the plain bytes drops it, and that it can write the values out plain.
struct BackendState {
  virtual ~BackendState() = default;
  // Writes the values in the plain row-major layout (asked once, when the storage has no plain bytes yet).
  virtual void write_plain(void* plain) const = 0;
};

// A block of 64-byte-aligned memory from the caching allocator (core/allocator.cpp), shared by every view of it.
// It goes back to the allocator's cache, not to the OS, when the last view dies. Its values may also (or only)
// live in the backend's state: the plain bytes are then made on first plain access, once, under a lock (two
// threads may ask at the same time). The tensor's shape and strides always describe the plain layout, so the
// backend's copy is invisible to the API.
struct Storage {
  explicit Storage(size_t nbytes);                              // plain
  Storage(size_t nbytes, std::shared_ptr<BackendState> state);  // values in the backend's state only
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  // The plain bytes, made from the backend's state if they are not there yet; the state is kept.
  void* plain();
  // The plain bytes for writing: the backend's state is dropped, since it would go stale.
  void* plain_for_write();
  // The backend's state, or null.
  std::shared_ptr<BackendState> backend() const;
  // Replaces the state by update(current state), under the storage's lock (two threads may update at once).
  template <class Update>
  void update_backend(Update&& update) {
    std::lock_guard lock(mutex_);
    backend_ = update(backend_);
  }

  const size_t nbytes;
  uint64_t version = 0;
  const uint64_t id;  // unique for the process's lifetime (addresses get reused; ids do not)

 private:
  mutable std::mutex mutex_;
  void* data_ = nullptr;
  std::atomic<bool> plain_valid_;
  std::shared_ptr<BackendState> backend_;
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;  // in elements
  int64_t offset = 0;  // in elements
  Dtype dtype = Dtype::Float32;
  std::shared_ptr<const QParams> qparams;  // set on quantized tensors (ops/quantize.hpp), shared by their views

  bool requires_grad = false;  // set on leaves by requires_grad_()
  Tensor grad;
  std::shared_ptr<autograd::Node> grad_fn;  // set on results of recorded ops
  std::shared_ptr<autograd::Hooks> hooks;   // a leaf's gradient hooks (a non-leaf's live on its grad_fn)

  // The elements in the plain layout, for reading (a native copy is kept) or writing (it is dropped).
  void* data() const { return at(storage->plain()); }
  void* mutable_data() const { return at(storage->plain_for_write()); }

 private:
  void* at(void* base) const {
    return static_cast<std::byte*>(base) + offset * static_cast<int64_t>(element_size(dtype));
  }
};

// The allocator behind Storage: blocks are kept per size and reused, so a training step that
// allocates the same shapes every iteration touches no new pages after the first.
void* allocate_block(size_t nbytes);
void release_block(void* data, size_t nbytes);

// A contiguous tensor of `shape` over the whole of `storage`.
Tensor tensor_on(std::shared_ptr<Storage> storage, const Shape& shape, Dtype dtype = kFloat32);

// A new tensor sharing `base`'s storage with a different geometry (no autograd metadata).
Tensor make_view(const Tensor& base, Shape shape, Shape strides, int64_t offset);

}  // namespace nabla
