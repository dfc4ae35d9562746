#pragma once
// What a Tensor handle points at. Private to the library: users see only core/tensor.hpp.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "nabla/core/shape.hpp"
#include "nabla/core/tensor.hpp"

namespace nabla {

// A block of 64-byte-aligned memory from the caching allocator (core/allocator.cpp), shared by
// every view of it. It goes back to the allocator's cache, not to the OS, when the last view dies.
struct Storage {
  explicit Storage(size_t nbytes);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data;
  size_t nbytes;
  uint64_t version = 0;
  uint64_t id;  // unique for the process's lifetime (addresses get reused; ids do not)
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

  void* data() const {
    return static_cast<std::byte*>(storage->data) + offset * static_cast<int64_t>(element_size(dtype));
  }
};

// The allocator behind Storage: blocks are kept per size and reused, so a training step that
// allocates the same shapes every iteration touches no new pages after the first.
void* allocate_block(size_t nbytes);
void release_block(void* data, size_t nbytes);

// A new tensor sharing `base`'s storage with a different geometry (no autograd metadata).
Tensor make_view(const Tensor& base, Shape shape, Shape strides, int64_t offset);

}  // namespace nabla
