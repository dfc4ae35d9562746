#pragma once
// Private: the one place Nabla talks to oneDNN. Engine and stream, memory descriptors for tensors,
// and the per-op primitive cache: a primitive is built once per key (op, shapes, options, formats)
// and reused; each new one is counted and its implementation logged at debug level.
#include <oneapi/dnnl/dnnl.hpp>

#include <charconv>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "nabla/core/error.hpp"
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
void note_created(const std::string& op, const std::string& key, const dnnl::primitive_desc_base& pd);

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
  // A layout as text, readable in the debug log: dims, then the strides and inner blocks of a blocked layout,
  // e.g. "[32,64,56,56]/[200704,50176,896,16]:16b" for nChw16c ("16b": blocks of 16 along dim b).
  Key& operator<<(const dnnl::memory::desc& md);
  const std::string& str() const { return text_; }

 private:
  std::string text_;
};

// A value built on first use, once even when two threads ask (primitives only some calls need).
template <class T>
class Lazy {
 public:
  template <class Build>
  const T& get(Build&& build) {
    std::call_once(*once_, [&] { value_ = std::make_unique<T>(build()); });
    return *value_;
  }

 private:
  std::unique_ptr<std::once_flag> once_ = std::make_unique<std::once_flag>();
  std::unique_ptr<T> value_;
};

// One op's cache of built primitives (and anything else per key: pds, scratch descriptors). Entries are
// shared: a recorded backward holds its own, so when a program's shapes keep changing and the cache reaches
// kCapacity keys, it is simply emptied (its JIT code and pds freed) without pulling an entry from under a user.
template <class Entry>
class Cache {
 public:
  static constexpr size_t kCapacity = 512;

  template <class Build>
  std::shared_ptr<Entry> get(const Key& key, Build&& build) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key.str());
    if (it != entries_.end()) return it->second;
    if (entries_.size() >= kCapacity) entries_.clear();
    return entries_.emplace(key.str(), std::make_shared<Entry>(build())).first->second;
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<Entry>> entries_;
};

// ---- layouts that travel between oneDNN ops
// A oneDNN op's result keeps the layout its primitive chose (say nChw16c) as the storage's native copy
// (core/tensor_impl.h); the next oneDNN op reads it there without a reorder, and anything else that
// needs plain data makes the plain bytes once. NABLA_LAYOUT_PROPAGATION=0 (or set_layout_propagation)
// turns this off: every result is then reordered to plain at once, as before.

// The layout t (dense: see `dense`) can be read in without a copy: its native copy's descriptor when
// it has one, else its own plain or strided descriptor.
dnnl::memory::desc layout_of(const Tensor& t);

// t's values (dense) in layout `want`, with no copy when it is already there; else reordered, and
// the reordered copy kept on t's storage for the next reader that wants the same layout (the conv's
// two backward primitives, two consumers of one activation). `keep` owns whatever the memory uses.
dnnl::memory read_as(const Tensor& t, const dnnl::memory::desc& want, Tensor& keep);

// Whether one of t's values is NaN (or, for has_non_finite, NaN or ±inf), read wherever they live (a native
// copy is scanned as it is: its padding is zeros). For the ops whose oneDNN kernels would hide a NaN.
bool has_nan(const Tensor& t);
bool has_non_finite(const Tensor& t);
// A scan that finds t finite remembers it (for a whole storage) until t is written. An op whose result is finite
// for finite operands, unless it overflows float's range (a conv), marks its result finite when its operands are
// known to be: a chain of convs with fused ReLUs (each must see finite input) then scans its input once, not before
// every conv. Overflow past ±3.4e38 inside such a chain is not tracked.
bool known_finite(std::initializer_list<Tensor> tensors);  // every defined one
void mark_finite(const Tensor& t);
// Notes that t (a whole storage) holds no NaN: made by a NaN-keeping op (ReLU, max pooling) from NaN-free input.
// has_nan then answers without scanning (a conv → ReLU → max-pool chain scans once, not twice).
void mark_nan_free(const Tensor& t);

// Whether t's values live (also) in a oneDNN layout other than its plain one.
bool has_native(const Tensor& t);

// Where a primitive writes a result of `shape` in layout `md`, and the tensor that becomes. The
// result lies in the plain layout (or, with `layout_like`, in that tensor's dim order) when `md` is
// that layout; else, with propagation on, it is a tensor whose values live in a native copy in `md`;
// with propagation off, `finish` reorders it into a plain tensor.
class Output {
 public:
  Output(const Shape& shape, const dnnl::memory::desc& md, const Tensor& layout_like = Tensor());
  const dnnl::memory& memory() const { return memory_; }
  Tensor finish();  // after the primitive has run

 private:
  Tensor tensor_, scratch_keep_;
  dnnl::memory memory_;
  bool reorder_at_finish_ = false;
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

// Runs fn, turning a dnnl::error (oneDNN has no kernel for these sizes, or ran out of memory) into a
// nabla::Error naming `who`: sizes are validated before they get here, this is the net below that.
template <class F>
auto guarded(const std::string& who, F&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const dnnl::error& e) {
    throw Error(who + ": oneDNN cannot run this operation (" + e.what() + ", status " + std::to_string(e.status) +
                "); check its sizes");
  }
}

}  // namespace nabla::onednn
