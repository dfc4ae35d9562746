// pad: every mode is one index map per dim (output position → input position, or -1 for the fill
// value); the forward gathers through the maps and the backward scatters back through them.
#include "nabla/ops/pad.hpp"
#include "nabla/core/trace.hpp"

#include "nabla/autograd/node.hpp"
#include "nabla/core/error.hpp"
#include "nabla/core/factory.hpp"
#include "ops/kernels.h"

namespace nabla {
namespace {

using IndexMaps = std::vector<std::vector<int64_t>>;

std::vector<int64_t> index_map(int64_t size, int64_t left, int64_t out_size, const std::string& mode) {
  std::vector<int64_t> map;
  for (int64_t o = 0; o < out_size; ++o) {
    const int64_t i = o - left;  // the input position this output position lies over
    if (i >= 0 && i < size) map.push_back(i);
    else if (mode == "constant") map.push_back(-1);
    else if (mode == "replicate") map.push_back(i < 0 ? 0 : size - 1);
    else if (mode == "circular") map.push_back(((i % size) + size) % size);
    else map.push_back(i < 0 ? -i : 2 * (size - 1) - i);  // reflect (the edge is not repeated)
  }
  return map;
}

// Calls fn(output offset, input offset or -1) for every output element, row-major.
template <class Fn>
void walk(const IndexMaps& maps, const Shape& in_strides, int64_t dim, int64_t in_offset,
          int64_t& out_counter, Fn& fn) {
  if (dim == static_cast<int64_t>(maps.size())) return fn(out_counter++, in_offset);
  for (int64_t src : maps[dim])
    walk(maps, in_strides, dim + 1, src < 0 || in_offset < 0 ? -1 : in_offset + src * in_strides[dim],
         out_counter, fn);
}

template <class Fn>
void for_each_element(const IndexMaps& maps, const Shape& in_strides, Fn fn) {
  int64_t counter = 0;
  if (maps.empty()) return fn(0, 0);
  walk(maps, in_strides, 0, 0, counter, fn);
}

}  // namespace

Tensor pad(const Tensor& input, const std::vector<int64_t>& pads, const std::string& mode, double value) {
  trace::Scope scope("pad", {input}, [&] {
    return trace::Attributes{{"pads", pads}, {"mode", mode}, {"value", value}};
  });
  NABLA_CHECK(input.defined() && (input.dtype() == kFloat32 || input.dtype() == kInt64 || input.dtype() == kBool),
              "pad: expected a float32, int64 or bool tensor, got ",
              input.defined() ? dtype_name(input.dtype()) : "none");
  NABLA_CHECK(mode == "constant" || mode == "reflect" || mode == "replicate" || mode == "circular",
              "pad: Unrecognised padding mode '", mode, "'; expected constant, reflect, replicate or circular");
  NABLA_CHECK(pads.size() % 2 == 0, "pad: Padding length must be divisible by 2, got ", pads.size(), " values");
  const int64_t padded_dims = static_cast<int64_t>(pads.size()) / 2, rank = input.dim();
  NABLA_CHECK(padded_dims <= rank, "pad: Padding length too large: ", pads.size(), " values pad ", padded_dims,
              " dims, but the input of shape ", shape_str(input.shape()), " has ", rank);
  if (mode != "constant") {  // PyTorch's reflection, replication and circular kernels, by rank
    NABLA_CHECK(padded_dims >= 1 && padded_dims <= 3 && (rank == padded_dims + 1 || rank == padded_dims + 2),
                "pad: Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now: ", mode,
                " padding of ", padded_dims, " dims takes a ", padded_dims + 1, "-D (unbatched) or ", padded_dims + 2,
                "-D input, got ", shape_str(input.shape()));
    NABLA_CHECK(mode != "circular" || rank == padded_dims + 2, "pad: Invalid padding size, expected ", 2 * (rank - 2),
                " but got ", pads.size(), ": circular padding pads every dim after the first two");
  }
  IndexMaps maps;
  Shape out_shape;
  for (int64_t d = 0; d < rank; ++d) {
    const int64_t k = rank - 1 - d;  // pads run from the last dim backwards
    const int64_t left = k < padded_dims ? pads[2 * k] : 0, right = k < padded_dims ? pads[2 * k + 1] : 0;
    const int64_t size = input.size(d);
    if (mode != "constant") {
      NABLA_CHECK(left >= 0 && right >= 0, "pad: negative padding is only supported in constant mode, got (", left,
                  ", ", right, ") at dimension ", d, " in ", mode, " mode");
      NABLA_CHECK(mode != "reflect" || (left < size && right < size), "pad: Argument #4: Padding size should be less "
                  "than the corresponding input dimension, but got: padding (", left, ", ", right, ") at dimension ", d,
                  " of input ", shape_str(input.shape()));
      NABLA_CHECK(mode != "circular" || (left <= size && right <= size), "pad: Padding value causes wrapping around "
                  "more than once: padding (", left, ", ", right, ") at dimension ", d, " of input ",
                  shape_str(input.shape()));
      NABLA_CHECK(size > 0 || (left == 0 && right == 0), "pad: ", mode, " padding of dimension ", d,
                  " needs a non-empty input, got ", shape_str(input.shape()));
    }
    const int64_t out_size = checked_add(checked_add(size, left, "pad"), right, "pad");
    NABLA_CHECK(out_size >= 0, "pad: The input size ", size, ", plus negative padding ", left, " and ", right,
                " resulted in a negative output size at dimension ", d);
    out_shape.push_back(out_size);
  }
  check_allocatable(out_shape, input.dtype(), "pad");  // before the index maps, which are as long as the output dims
  // An empty result needs no maps (one of its dims could still be 2^40 long).
  if (numel(out_shape) == 0)
    return scope.output(autograd::record(
        "PadBackward0", zeros(out_shape, input.dtype()), {input},
        [shape = input.shape()](const Tensor&, const autograd::Needs&) { return autograd::Grads{zeros(shape)}; },
        autograd::Saves::Nothing));
  for (int64_t d = 0; d < rank; ++d) {
    const int64_t k = rank - 1 - d;
    maps.push_back(index_map(input.size(d), k < padded_dims ? pads[2 * k] : 0, out_shape[d], mode));
  }
  const Tensor x = input.detach().contiguous();
  const Shape in_strides = x.strides();
  Tensor y = empty(out_shape, input.dtype());
  visit(input.dtype(), [&](auto zero) {
    using T = decltype(zero);
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, int64_t> || std::is_same_v<T, bool>) {
      const T* px = x.const_data_ptr<T>();
      T* py = y.data_ptr<T>();
      const T fill = convert<T>(value);
      for_each_element(maps, in_strides, [&](int64_t o, int64_t i) { py[o] = i < 0 ? fill : px[i]; });
    }
  });
  return scope.output(autograd::record(
      "PadBackward0", y, {input},
      [maps, in_strides, in_shape = input.shape()](const Tensor& g, const autograd::Needs&) {
        Tensor gx = zeros(in_shape);
        const Tensor dense = g.contiguous();
        const float* pg = dense.data_ptr<float>();
        float* out = gx.data_ptr<float>();
        for_each_element(maps, in_strides, [&](int64_t o, int64_t i) {
          if (i >= 0) out[i] += pg[o];
        });
        return autograd::Grads{gx};
      },
      autograd::Saves::Nothing));
}

}  // namespace nabla
