#pragma once
// Private: the one place Nabla talks to oneDNN, and the one recipe every oneDNN-backed op follows. An op file says
// *what* to run (its descriptors, post-ops, which inputs need gradients); this glue does *how*:
//
//   onednn::Recipe<dnnl::eltwise_forward, dnnl::eltwise_backward> eltwise("eltwise");   // one per op, file scope
//   const auto prims = eltwise.get(key);                  // built once per key (op, shapes, options, layouts, types)
//   const auto& fwd = prims->forward(training, [&](dnnl::prop_kind kind) { return dnnl::eltwise_forward::desc(...); });
//   onednn::Args args(fwd);                              // the memories of one call, and the tensors owning them
//   args.in(DNNL_ARG_SRC, x).out(DNNL_ARG_DST, x.shape(), x).run();
//   ... args.result(DNNL_ARG_DST); in the backward: prims->backward<0>([&](const auto& hint) { return ...desc; })
//
// Every memory handed to a primitive is owned by a tensor that Args (or the caller, through Held) keeps alive
// until the primitive has run; the forward's pd is the hint of every backward; each new primitive is counted and
// its implementation logged at debug level. The data type comes with the descriptors: `dtype` parameters below
// (float32 today) carry it into layouts and cache keys alike.
#include <oneapi/dnnl/dnnl.hpp>

#include <charconv>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "nabla/core/error.hpp"
#include "nabla/core/tensor.hpp"

namespace nabla::onednn {

dnnl::engine& engine();
dnnl::stream& stream();

dnnl::memory::data_type data_type(Dtype dtype);
Dtype dtype_of(const dnnl::memory::desc& md);
dnnl::memory::dims dims(const Shape& shape);
// A descriptor of a contiguous (row-major) tensor of this shape.
dnnl::memory::desc plain_desc(const Shape& shape, Dtype dtype = kFloat32);
// A descriptor that lets the primitive choose the layout (format_tag::any).
dnnl::memory::desc any_desc(const Shape& shape, Dtype dtype = kFloat32);
// A descriptor with the tensor's own shape, strides and type (no copy needed for views).
dnnl::memory::desc desc_of(const Tensor& t);

// t itself when its elements fill its storage densely in some dim order (a transposed or permuted
// view, such as an (N, W, C) embedding seen as (N, C, W)), else a contiguous copy. oneDNN reads
// any such layout through desc_of, and reorders into its own layout in the same pass.
Tensor dense(const Tensor& t);

// Counts a newly built primitive and logs which implementation oneDNN picked for it.
void note_created(const std::string& what, const std::string& key, const dnnl::primitive_desc_base& pd);

// A cache key: the op's name, then every number, shape and layout that determines its primitives.
class Key {
 public:
  explicit Key(const char* op) : text_(op) {}
  Key& operator<<(int64_t v) {
    text_ += ',';
    append(v);
    return *this;
  }
  Key& operator<<(const Shape& shape) {  // ",[8,32,26,26]"
    text_ += ',';
    append(shape);
    return *this;
  }
  // A layout as text, readable in the debug log: dims, then the strides and inner blocks of a blocked layout,
  // e.g. ",[32,64,56,56]/[200704,50176,896,16]:16b" for nChw16c ("16b": blocks of 16 along dim b); its data type
  // when not f32.
  Key& operator<<(const dnnl::memory::desc& md);
  const std::string& str() const { return text_; }

 private:
  void append(int64_t v) {
    char buffer[24];
    text_.append(buffer, std::to_chars(buffer, buffer + sizeof buffer, v).ptr);
  }
  void append(const Shape& shape) {
    text_ += '[';
    for (size_t i = 0; i < shape.size(); ++i) {
      if (i > 0) text_ += ',';
      append(shape[i]);
    }
    text_ += ']';
  }

  std::string text_;
};

// A value built on first use, once even when two threads ask (primitives only some calls need).
template <class T>
class Lazy {
 public:
  // Not std::call_once: an exception from `build` (oneDNN refusing a descriptor) must reach the caller as an error,
  // and one crossing call_once's C trampoline ends in std::terminate (found by fuzz_nn). A build that throws leaves
  // the value unbuilt; the next get tries again.
  template <class Build>
  const T& get(Build&& build) {
    std::lock_guard lock(*mutex_);
    if (!value_) value_ = std::make_unique<T>(build());
    return *value_;
  }

 private:
  std::unique_ptr<std::mutex> mutex_ = std::make_unique<std::mutex>();
  std::unique_ptr<T> value_;
};

// One op's cache of entries per key. Entries are shared: a recorded backward holds its own, so when a program's
// shapes keep changing and the cache reaches kCapacity keys, it is simply emptied (its JIT code and pds freed)
// without pulling an entry from under a user.
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

// ---- the recipe

// What guarded throws: a nabla::Error an op may catch to say more (conv: no Winograd kernel for these sizes).
struct Refused : Error {
  using Error::Error;
};

// Runs fn, turning a dnnl::error (oneDNN has no kernel for these sizes, or ran out of memory) into a
// nabla::Error (Refused) naming `who`: sizes are validated before they get here, this is the net below that.
template <class F>
auto guarded(const std::string& who, F&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const dnnl::error& e) {
    throw Refused(who + ": oneDNN cannot run this operation (" + e.what() + ", status " + std::to_string(e.status) +
                  "); check its sizes");
  }
}

// A primitive with the pd it was built from.
template <class P>
struct Built {
  typename P::primitive_desc pd;
  P primitive;
};

// One op's primitives for one key, each built on first use: the forward for training (its pd is the hint of
// every backward) and for inference (no workspace; cheaper when no gradient is wanted), and the backward
// primitives in the order the op lists them (conv: data, then weights).
template <class Forward, class... Backward>
class Primitives {
 public:
  Primitives(const char* name, std::string key) : name_(name), key_(std::move(key)) {}

  // describe(kind) gives the Forward::desc for prop_kind `kind` (ops without one, like matmul, ignore it).
  template <class Describe>
  const Built<Forward>& forward(bool training, Describe&& describe, const dnnl::primitive_attr& attr = {}) {
    return (training ? training_ : inference_).get([&] {
      return guarded(name_, [&] {  // oneDNN refusing the sizes: an error naming the op
        const auto kind = training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
        const typename Forward::primitive_desc pd(describe(kind), attr, engine());
        note_created(name_ + (training ? " forward (training)" : " forward (inference)"), key_, pd);
        return Built<Forward>{pd, Forward(pd)};
      });
    });
  }

  // The I-th backward primitive; describe(hint) gives its desc from the training forward's pd, which must exist.
  // `what` names it in the debug log (conv: "backward data", "backward weights").
  template <size_t I, class Describe>
  const auto& backward(Describe&& describe, const char* what = "backward") {
    using P = std::tuple_element_t<I, std::tuple<Backward...>>;
    return std::get<I>(backward_).get([&] {
      const auto& hint = training_
                             .get([]() -> Built<Forward> {
                               throw Error("internal: a oneDNN backward was asked for before its training forward");
                             })
                             .pd;
      return guarded(name_, [&] {
        const typename P::primitive_desc pd(describe(hint), engine(), hint);
        note_created(name_ + " " + what, key_, pd);
        return Built<P>{pd, P(pd)};
      });
    });
  }

 private:
  std::string name_, key_;
  Lazy<Built<Forward>> training_, inference_;
  std::tuple<Lazy<Built<Backward>>...> backward_;
};

// An op's Primitives per key, e.g. `Recipe<dnnl::softmax_v2_forward, dnnl::softmax_v2_backward> softmax("softmax")`.
template <class Forward, class... Backward>
class Recipe {
 public:
  using Entry = Primitives<Forward, Backward...>;
  explicit Recipe(const char* name) : name_(name) {}
  std::shared_ptr<Entry> get(const Key& key) {
    return cache_.get(key, [&] { return Entry(name_, key.str()); });
  }

 private:
  const char* name_;
  Cache<Entry> cache_;
};

// ---- memory that is owned

// A oneDNN memory and the tensor whose storage holds its buffer: whoever keeps a Held keeps the memory valid.
struct Held {
  dnnl::memory memory;
  Tensor owner;
};

// t's elements where they lie, as memory of descriptor `md` (which must describe them).
Held over(const dnnl::memory::desc& md, const Tensor& t);

// A buffer for memory of descriptor `md`, from the caching allocator.
Held scratch(const dnnl::memory::desc& md);

// `source` in layout `want`: `source` itself when it already is, else a reordered copy. The reorder primitive is
// built once per pair of layouts.
Held to_layout(const Held& source, const dnnl::memory::desc& want);

// Copies `source` into `target` (same logical shape, any layouts).
void reorder_into(const dnnl::memory& source, const dnnl::memory& target);

// A weight tensor, described by `user` (its own layout), in the layout a primitive chose (`want`): reordered once
// per weight version (an optimizer step bumps it), not on every call. The Held shares the cached buffer.
Held weights_in_layout(const Tensor& weight, const dnnl::memory::desc& user, const dnnl::memory::desc& want);

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
// two backward primitives, two consumers of one activation).
Held read_as(const Tensor& t, const dnnl::memory::desc& want);

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

// The arguments of one run of one primitive, each owned until the run is over: inputs in the layouts the pd
// wants for them, results in the layouts it chose.
class Args {
 public:
  template <class P>
  explicit Args(const Built<P>& built) : pd_(built.pd), primitive_(built.primitive) {}

  // The descriptor the pd has for argument `arg` (DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, ...).
  dnnl::memory::desc desc(int arg) const { return pd_.query_md(dnnl::query::exec_arg_md, arg); }

  // t (dense) read in the layout the pd wants for `arg` (read_as).
  Args& in(int arg, const Tensor& t);
  // A value already in some oneDNN layout, reordered when the pd wants another.
  Args& in(int arg, const Held& value);
  // t where it lies, in its own layout (statistics, scales, biases, layer norm's rows), for reading or writing;
  // or as `md` describes it (PyTorch's weight layout in oneDNN's weight dims).
  Args& plain(int arg, const Tensor& t);
  Args& plain(int arg, const Tensor& t, const dnnl::memory::desc& md);
  // A weight tensor described by `user`, in the layout the pd chose (weights_in_layout).
  Args& weights(int arg, const Tensor& weight, const dnnl::memory::desc& user);
  // The result for `arg`: a tensor of `shape` in the layout the pd chose (see Output); result(arg) after run().
  Args& out(int arg, const Shape& shape, const Tensor& layout_like = {});
  // A new buffer for `arg` in the pd's layout (a workspace; a result reordered by the caller), kept by the
  // caller for later runs; none when the pd has no such argument.
  Held scratch(int arg);
  // Runs the primitive on the Nabla stream, waits for it, and finishes the results.
  void run();
  Tensor result(int arg);

 private:
  Args& add(int arg, Held value);

  dnnl::primitive_desc_base pd_;
  dnnl::primitive primitive_;
  std::unordered_map<int, dnnl::memory> args_;
  std::vector<Tensor> owners_;
  std::vector<std::pair<int, Output>> outputs_;
  std::unordered_map<int, Tensor> results_;
};

// ---- values oneDNN's kernels would change: NaN and inf

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

// The one fusion decision: whether relu(op(operands)) may run with the ReLU fused into op's primitive (a conv's
// post-op, batch norm's fuse_norm_relu). oneDNN's fused ReLU turns NaN into 0 where PyTorch's keeps it, so only
// all-finite operands (known, or scanned once) fuse; the others run the op, then relu(). Decided before running.
bool relu_fusable(std::initializer_list<Tensor> operands);

// ---- int8: PyTorch's requantization as a primitive's attributes

// For an int8 conv or matmul of a quantized uint8 input (per tensor) and int8 weight (per output channel or per
// tensor, zero points 0) into a uint8 result quantized with output_scale and output_zero_point: the int32 sums of
// (x - x_zero_point)·w scaled per channel by x_scale·w_scale[c]/output_scale, the bias added at the sums' scale
// (so divided by x_scale·w_scale[c]: `bias`), the zero points as oneDNN's, the ReLU as a post-op. Its values are
// part of the primitive's key (Key << requantization).
struct Requantization {
  Requantization(const Tensor& input, const Tensor& weight, const Tensor& bias, double output_scale,
                 int64_t output_zero_point, bool relu);
  dnnl::primitive_attr attr;
  Tensor bias;  // float32, or undefined
  std::vector<float> scales;
  int64_t input_zero_point, output_zero_point;
  bool relu;
};
Key& operator<<(Key& key, const Requantization& requantization);

}  // namespace nabla::onednn
