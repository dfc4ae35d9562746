#include "ops/onednn.h"

#include <algorithm>
#include <bit>
#include <numeric>

#include <atomic>
#include <cstdlib>
#include <string_view>

#include "nabla/core/error.hpp"
#include "nabla/core/factory.hpp"
#include "core/log.h"
#include "core/runtime.h"
#include "nabla/core/runtime.hpp"
#include "core/tensor_impl.h"

namespace nabla {
namespace onednn {

dnnl::engine& engine() {
  static dnnl::engine instance = [] {
    detail::ensure_runtime();
    return dnnl::engine(dnnl::engine::kind::cpu, 0);
  }();
  return instance;
}

dnnl::stream& stream() {
  static dnnl::stream instance(engine());
  return instance;
}

dnnl::memory::dims dims(const Shape& shape) { return dnnl::memory::dims(shape.begin(), shape.end()); }

dnnl::memory::data_type data_type(Dtype dtype) {
  switch (dtype) {
    case kFloat32: return dnnl::memory::data_type::f32;
    case kBFloat16: return dnnl::memory::data_type::bf16;
    case kUInt8: return dnnl::memory::data_type::u8;
    case kInt8: return dnnl::memory::data_type::s8;
    default: detail::fail("oneDNN ops take float32, bfloat16, uint8 or int8 tensors, got ", dtype_name(dtype));
  }
}

Dtype dtype_of(const dnnl::memory::desc& md) {
  switch (md.data_type()) {
    case dnnl::memory::data_type::bf16: return kBFloat16;
    case dnnl::memory::data_type::u8: return kUInt8;
    case dnnl::memory::data_type::s8: return kInt8;
    default: return kFloat32;
  }
}

dnnl::memory::desc plain_desc(const Shape& shape, Dtype dtype) {
  return {dims(shape), data_type(dtype), dims(contiguous_strides(shape))};
}

dnnl::memory::desc any_desc(const Shape& shape, Dtype dtype) {
  return {dims(shape), data_type(dtype), dnnl::memory::format_tag::any};
}

dnnl::memory::desc desc_of(const Tensor& t) { return {dims(t.shape()), data_type(t.dtype()), dims(t.strides())}; }

Held over(const dnnl::memory::desc& md, const Tensor& t) { return {dnnl::memory(md, engine(), t.impl()->data()), t}; }

namespace {
// t's dims from the largest stride to the smallest (ties keep their order).
Shape dim_order(const Tensor& t) {
  Shape order(t.dim());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return t.stride(a) > t.stride(b); });
  return order;
}
}  // namespace

Tensor dense(const Tensor& t) {
  if (t.is_contiguous()) return t;
  int64_t expected = 1;
  const Shape order = dim_order(t);
  for (auto d = order.rbegin(); d != order.rend(); ++d) {
    if (t.size(*d) == 1) continue;
    if (t.stride(*d) != expected) return t.contiguous();
    expected *= t.size(*d);
  }
  return t;
}

namespace {
// The strides of a dense tensor of t's shape whose elements lie in t's dim order.
Shape strides_in_order_of(const Tensor& t) {
  const Shape order = dim_order(t);
  Shape strides(order.size());
  int64_t step = 1;
  for (auto d = order.rbegin(); d != order.rend(); ++d) {
    strides[*d] = step;
    step = checked_mul(step, std::max<int64_t>(t.size(*d), 1), "the strides of a tensor in oneDNN's layout");
  }
  return strides;
}
}  // namespace

Key& Key::operator<<(const dnnl::memory::desc& md) {
  const auto& d = md.data;
  *this << Shape(d.dims, d.dims + d.ndims);
  if (d.data_type != dnnl_f32) text_ += "dt" + std::to_string(static_cast<int>(d.data_type));
  if (d.format_kind == dnnl_format_kind_any) {
    text_ += "any";
    return *this;
  }
  if (d.format_kind != dnnl_blocked) {  // opaque formats (Winograd weights, RNN): the whole descriptor, in hex
    static constexpr char kHex[] = "0123456789abcdef";
    text_ += "raw";
    for (auto byte : std::string_view(reinterpret_cast<const char*>(&d), sizeof d))
      text_ += {kHex[static_cast<unsigned char>(byte) >> 4], kHex[static_cast<unsigned char>(byte) & 15]};
    return *this;
  }
  const auto& b = d.format_desc.blocking;
  text_ += '/';
  append(Shape(b.strides, b.strides + d.ndims));
  if (d.offset0 != 0) *this << d.offset0;
  if (b.inner_nblks > 0) text_ += ':';
  for (int i = 0; i < b.inner_nblks; ++i) {
    append(b.inner_blks[i]);
    text_ += static_cast<char>('a' + b.inner_idxs[i]);
  }
  return *this;
}

void note_created(const std::string& what, const std::string& key, const dnnl::primitive_desc_base& pd) {
  detail::count_primitive_created();
  detail::logger().debug("new {} primitive {}: {}", what, key, pd.impl_info_str());
}

namespace {
void execute(const dnnl::primitive& p, const std::unordered_map<int, dnnl::memory>& args) {
  p.execute(stream(), args);
  stream().wait();
}
}  // namespace

Held scratch(const dnnl::memory::desc& md) {
  // One spare float: a zero-sized descriptor still gets a buffer, and has_nan's scans stop short of it.
  Tensor buffer = empty({static_cast<int64_t>((md.get_size() + sizeof(float) - 1) / sizeof(float)) + 1});
  return {dnnl::memory(md, engine(), buffer.impl()->data()), buffer};
}

namespace {
Cache<dnnl::reorder> reorder_cache;
}

void reorder_into(const dnnl::memory& source, const dnnl::memory& target) {
  Key key("reorder");
  key << source.get_desc() << target.get_desc();
  const auto primitive = reorder_cache.get(key, [&] {
    const dnnl::reorder::primitive_desc pd(source, target);
    note_created("reorder", key.str(), pd);
    return dnnl::reorder(pd);
  });
  execute(*primitive, {{DNNL_ARG_FROM, source}, {DNNL_ARG_TO, target}});
}

Held to_layout(const Held& source, const dnnl::memory::desc& want) {
  if (source.memory.get_desc() == want) return source;
  Held target = scratch(want);
  reorder_into(source.memory, target.memory);
  return target;
}

// ---- layouts that travel

namespace {

// A storage's values in a primitive's own layout, in a buffer from the caching allocator.
struct Native {
  Native(const dnnl::memory::desc& md, const Shape& shape) : desc(md), shape(shape), values(scratch(md)) {}
  const dnnl::memory::desc desc;
  const Shape shape;
  const Held values;
};

// What the glue keeps on a storage (core/tensor_impl.h): its values in a native layout, if any, and what scans
// found about them.
struct Values final : BackendState {
  static constexpr uint8_t kNanFree = 1, kFinite = 3;  // finite implies NaN-free

  explicit Values(std::shared_ptr<const Native> native = nullptr, uint8_t known = 0)
      : native(std::move(native)), known(known) {}
  void write_plain(void* plain) const override {
    detail::count_layout_reorder();
    reorder_into(native->values.memory,
                 dnnl::memory(plain_desc(native->shape, dtype_of(native->desc)), engine(), plain));
  }

  const std::shared_ptr<const Native> native;
  std::atomic<uint8_t> known;
};

std::shared_ptr<Values> values_of(const Tensor& t) {
  return std::static_pointer_cast<Values>(t.impl()->storage->backend());  // Values is the only kind
}

uint8_t known_of(const Tensor& t) {
  const auto values = values_of(t);
  return values ? values->known.load(std::memory_order_acquire) : 0;
}

// Whether t is its storage's whole, plain-contiguous extent: only then may it use the storage's native copy.
bool whole(const Tensor& t) {
  return t.storage_offset() == 0 && t.is_contiguous() &&
         static_cast<size_t>(t.numel()) * element_size(t.dtype()) == t.impl()->storage->nbytes;
}

// Notes what a scan found about t's (whole) storage.
void mark(const Tensor& t, uint8_t found) {
  if (!whole(t)) return;
  t.impl()->storage->update_backend([&](const std::shared_ptr<BackendState>& current) -> std::shared_ptr<BackendState> {
    if (!current) return std::make_shared<Values>(nullptr, found);
    static_cast<Values&>(*current).known.fetch_or(found, std::memory_order_acq_rel);
    return current;
  });
}

std::shared_ptr<const Native> native_of(const Tensor& t) {
  if (!whole(t)) return nullptr;
  const auto values = values_of(t);
  return values && values->native && values->native->shape == t.shape() && dtype_of(values->native->desc) == t.dtype()
             ? values->native
             : nullptr;
}

// Whether pred holds for one of the n values at p (threads share large arrays).
template <class T, class Pred>
bool any_value(const T* p, int64_t n, Pred pred) {
  int found = 0;
#pragma omp parallel for reduction(| : found) if (n > (1 << 16))
  for (int64_t i = 0; i < n; ++i) found |= pred(static_cast<float>(p[i]));
  return found != 0;
}

template <class T, class Pred>
bool any_value_as(const Tensor& t, Pred pred) {
  if (auto native = native_of(t))  // the buffer has spare bytes past the layout's: not scanned
    return any_value(static_cast<const T*>(native->values.owner.const_data_ptr()),
                     static_cast<int64_t>(native->desc.get_size() / sizeof(T)), pred);
  const Tensor values = t.contiguous();
  return any_value(values.const_data_ptr<T>(), values.numel(), pred);
}

template <class Pred>
bool any_value(const Tensor& t, Pred pred) {
  return t.dtype() == kBFloat16 ? any_value_as<BFloat16>(t, pred) : any_value_as<float>(t, pred);
}

bool scanned(const Tensor& t) { return t.dtype() == kFloat32 || t.dtype() == kBFloat16; }

}  // namespace

bool has_nan(const Tensor& t) {
  if (!scanned(t) || (known_of(t) & Values::kNanFree)) return false;
  if (any_value(t, [](float v) { return v != v; })) return true;
  mark_nan_free(t);
  return false;
}

void mark_nan_free(const Tensor& t) { mark(t, Values::kNanFree); }

bool has_non_finite(const Tensor& t) {
  if (!scanned(t) || known_of(t) == Values::kFinite) return false;
  if (any_value(t, [](float v) { return !(v - v == 0.f); })) return true;  // inf - inf and NaN - NaN are NaN
  mark_finite(t);
  return false;
}

bool known_finite(std::initializer_list<Tensor> tensors) {
  return std::all_of(tensors.begin(), tensors.end(),
                     [](const Tensor& t) { return !t.defined() || known_of(t) == Values::kFinite; });
}

void mark_finite(const Tensor& t) { mark(t, Values::kFinite); }

bool has_native(const Tensor& t) { return native_of(t) != nullptr; }

dnnl::memory::desc layout_of(const Tensor& t) {
  if (auto native = native_of(t)) return native->desc;
  return desc_of(t);
}

Held read_as(const Tensor& t, const dnnl::memory::desc& want) {
  const auto native = native_of(t);
  if (native && native->desc == want) return native->values;
  if (!native && desc_of(t) == want) return over(want, t);
  detail::count_layout_reorder();
  auto copy = std::make_shared<Native>(want, t.shape());
  reorder_into(native ? native->values.memory : over(desc_of(t), t).memory, copy->values.memory);
  // A copy in another dtype (a bfloat16 op reading float32) is not kept: the storage's values are its dtype's.
  if (layout_propagation() && whole(t) &&
      dtype_of(want) == t.dtype())  // kept beside the plain bytes (or the other native copy), with what is known
    t.impl()->storage->update_backend([&](const std::shared_ptr<BackendState>& current) {
      return std::make_shared<Values>(copy, current ? static_cast<Values&>(*current).known.load() : 0);
    });
  return copy->values;
}

Output::Output(const Shape& shape, const dnnl::memory::desc& md, const Tensor& layout_like) {
  const Shape plain_strides = layout_like.defined() ? strides_in_order_of(layout_like) : contiguous_strides(shape);
  const Dtype dtype = dtype_of(md);
  if (dnnl::memory::desc(dims(shape), md.data_type(), dims(plain_strides)) == md) {
    tensor_ = make_view(empty({numel(shape)}, dtype), shape, plain_strides, 0);
    memory_ = over(md, tensor_).memory;
  } else if (layout_propagation()) {
    auto native = std::make_shared<Native>(md, shape);
    memory_ = native->values.memory;
    const auto bytes = static_cast<size_t>(numel(shape)) * element_size(dtype);
    tensor_ = tensor_on(std::make_shared<Storage>(bytes, std::make_shared<Values>(native)), shape, dtype);
  } else {
    tensor_ = make_view(empty({numel(shape)}, dtype), shape, plain_strides, 0);
    const Held buffer = scratch(md);
    memory_ = buffer.memory;
    scratch_keep_ = buffer.owner;
    reorder_at_finish_ = true;
  }
}

Tensor Output::finish() {
  if (reorder_at_finish_) {
    detail::count_layout_reorder();
    reorder_into(memory_, over(desc_of(tensor_), tensor_).memory);
  }
  return tensor_;
}

namespace {
struct ReorderedWeights {
  uint64_t version;
  Held values;
};
std::mutex weights_mutex;
std::unordered_map<std::string, ReorderedWeights> weights_cache;
}  // namespace

Held weights_in_layout(const Tensor& weight, const dnnl::memory::desc& user, const dnnl::memory::desc& want) {
  const Held source = over(user, weight);
  if (user == want) return source;
  Key key("weights");
  key << static_cast<int64_t>(weight.impl()->storage->id) << weight.storage_offset() << want;
  std::lock_guard lock(weights_mutex);
  auto it = weights_cache.find(key.str());
  if (it == weights_cache.end() || it->second.version != weight.version()) {
    if (weights_cache.size() > 256) weights_cache.clear();  // weights of layers long gone
    Held reordered = scratch(want);
    detail::count_weight_copy();
    reorder_into(source.memory, reordered.memory);
    it = weights_cache.insert_or_assign(key.str(), ReorderedWeights{weight.version(), reordered}).first;
  }
  return it->second.values;  // shares the buffer: a later reorder or clear() cannot free it under this caller
}

// ---- Args

Args& Args::add(int arg, Held value) {
  args_.insert_or_assign(arg, value.memory);
  owners_.push_back(std::move(value.owner));
  return *this;
}

Args& Args::in(int arg, const Tensor& t) { return add(arg, read_as(t, desc(arg))); }
Args& Args::in(int arg, const Held& value) { return add(arg, to_layout(value, desc(arg))); }
Args& Args::plain(int arg, const Tensor& t) { return add(arg, over(desc_of(t), t)); }
Args& Args::plain(int arg, const Tensor& t, const dnnl::memory::desc& md) { return add(arg, over(md, t)); }

Args& Args::weights(int arg, const Tensor& weight, const dnnl::memory::desc& user) {
  return add(arg, weights_in_layout(weight, user, desc(arg)));
}

Args& Args::out(int arg, const Shape& shape, const Tensor& layout_like) {
  outputs_.emplace_back(arg, Output(shape, desc(arg), layout_like));
  args_.insert_or_assign(arg, outputs_.back().second.memory());
  return *this;
}

Held Args::scratch(int arg) {
  const dnnl::memory::desc md = desc(arg);
  if (md.get_size() == 0) return {};
  Held buffer = onednn::scratch(md);
  add(arg, buffer);
  return buffer;
}

void Args::run() {
  execute(primitive_, args_);
  for (auto& [arg, output] : outputs_) results_.insert_or_assign(arg, output.finish());
  outputs_.clear();
}

Tensor Args::result(int arg) {
  const auto it = results_.find(arg);
  NABLA_CHECK(it != results_.end(), "internal: no result for oneDNN argument ", arg, " (out() it, then run())");
  return it->second;
}

bool relu_fusable(std::initializer_list<Tensor> operands) {
  return std::none_of(operands.begin(), operands.end(),
                      [](const Tensor& t) { return t.defined() && has_non_finite(dense(t.detach())); });
}

// ---- int8

Requantization::Requantization(const Tensor& input, const Tensor& weight, const Tensor& bias_in, double output_scale,
                               int64_t output_zero_point_in, bool relu_in)
    : input_zero_point(input.q_zero_point()), output_zero_point(output_zero_point_in), relu(relu_in) {
  const QParams& w = weight.qparams();
  const int64_t channels = weight.size(0);
  scales.resize(static_cast<size_t>(channels));
  if (bias_in.defined()) bias = empty({channels});
  const Tensor b = bias_in.defined() ? bias_in.detach().contiguous() : Tensor();
  for (int64_t c = 0; c < channels; ++c) {
    const double sums_scale = input.q_scale() * w.scales[w.scales.size() == 1 ? 0 : static_cast<size_t>(c)];
    scales[static_cast<size_t>(c)] = static_cast<float>(sums_scale / output_scale);
    if (b.defined()) bias.data_ptr<float>()[c] = static_cast<float>(b.const_data_ptr<float>()[c] / sums_scale);
  }
  attr.set_output_scales(1 << 1, scales);  // per channel of the result (dim 1 of a conv's and a matmul's)
  if (input_zero_point != 0) attr.set_zero_points(DNNL_ARG_SRC, 0, {static_cast<int32_t>(input_zero_point)});
  if (output_zero_point != 0) attr.set_zero_points(DNNL_ARG_DST, 0, {static_cast<int32_t>(output_zero_point)});
  if (relu) {
    dnnl::post_ops ops;
    ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
    attr.set_post_ops(ops);
  }
}

Key& operator<<(Key& key, const Requantization& r) {
  uint64_t hash = 14695981039346656037ull;  // FNV-1a over the scales' bits
  for (float v : r.scales) hash = (hash ^ std::bit_cast<uint32_t>(v)) * 1099511628211ull;
  return key << static_cast<int64_t>(hash >> 1) << r.input_zero_point << r.output_zero_point
             << static_cast<int64_t>(r.relu);
}

}  // namespace onednn
}  // namespace nabla
