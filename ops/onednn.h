#pragma once
// Private: the one place Nabla talks to oneDNN. Engine and stream, memory descriptors for tensors,
// and the per-op primitive cache: a primitive is built once per key (op, shapes, options, formats)
// and reused; each new one is counted and its implementation logged at debug level.
#include <oneapi/dnnl/dnnl.hpp>

#include <charconv>
#include <mutex>
#include <string>
#include <unordered_map>

#include "nabla/core/tensor.hpp"

namespace nabla::onednn {

dnnl::engine& engine();
dnnl::stream& stream();

dnnl::memory::dims dims(const Shape& shape);
// A float32 descriptor of a contiguous (row-major) tensor of this shape.
dnnl::memory::desc plain_desc(const Shape& shape);
// A float32 descriptor with the tensor's own shape and strides (no copy needed for views).
dnnl::memory::desc desc_of(const Tensor& t);
dnnl::memory memory_of(const dnnl::memory::desc& md, const Tensor& t);
dnnl::memory memory_of(const Tensor& t);

// t itself when its elements fill its storage densely in some dim order (a transposed or permuted
// view, such as an (N, W, C) embedding seen as (N, C, W)), else a contiguous copy. oneDNN reads
// any such layout through desc_of, and reorders into its own layout in the same pass.
Tensor dense(const Tensor& t);
// An uninitialised tensor of t's shape whose elements lie in t's dim order (for a gradient that
// should come back in its input's layout).
Tensor empty_in_layout_of(const Tensor& t);

// Runs a primitive on the Nabla stream and waits for it.
void execute(const dnnl::primitive& p, const std::unordered_map<int, dnnl::memory>& args);

// Counts a newly built primitive and logs which implementation oneDNN picked for it.
void note_created(const char* op, const std::string& key, const dnnl::primitive_desc_base& pd);

// A cache key: the op's name, then every number and shape that determines its primitive.
class Key {
 public:
  explicit Key(const char* op) : text_(op) {}
  Key& operator<<(int64_t v) {
    char buffer[24];
    text_ += ',';
    text_.append(buffer, std::to_chars(buffer, buffer + sizeof buffer, v).ptr);
    return *this;
  }
  Key& operator<<(const Shape& shape) {
    text_ += '[';
    for (int64_t d : shape) *this << d;
    text_ += ']';
    return *this;
  }
  Key& operator<<(const dnnl::memory::desc& md) {  // a descriptor is a plain C struct: its bytes identify it
    text_.append(reinterpret_cast<const char*>(&md.data), sizeof md.data);
    return *this;
  }
  const std::string& str() const { return text_; }

 private:
  std::string text_;
};

// One op's cache of built primitives (and anything else per key: pds, scratch descriptors).
template <class Entry>
class Cache {
 public:
  template <class Build>
  Entry& get(const Key& key, Build&& build) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key.str());
    if (it == entries_.end()) it = entries_.emplace(key.str(), build()).first;
    return it->second;  // stable: unordered_map never moves its elements
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

// A buffer for memory of descriptor `md`, from the caching allocator; `keep` owns it.
dnnl::memory scratch(const dnnl::memory::desc& md, Tensor& keep);

// `source` in layout `want`: `source` itself when it already is, else a reordered copy whose
// buffer `keep` owns. The reorder primitive is built once per pair of layouts.
dnnl::memory to_layout(const dnnl::memory& source, const dnnl::memory::desc& want, Tensor& keep);

// Copies `source` into `target` (same logical shape, any layouts).
void reorder_into(const dnnl::memory& source, const dnnl::memory& target);

// A weight tensor in the layout a primitive chose (`want`), described by `plain`: reordered once
// per weight version (an optimizer step bumps it), not on every call.
dnnl::memory weights_in_layout(const Tensor& weight, const dnnl::memory::desc& plain, const dnnl::memory::desc& want);

}  // namespace nabla::onednn
