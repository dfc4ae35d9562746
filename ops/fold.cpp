// Unfold (im2col) and Fold (col2im), rank-independent. Both walk the same list of segments: a
// segment is one row of the column matrix restricted to the blocks along the last spatial dim, and
// the strided run of image elements it reads (unfold) or adds into (fold). Index arithmetic happens
// once per segment, shared by every channel; the inner loops are plain strided copies and adds.
// Each is the other's backward.
#include "nabla/ops/fold.hpp"

#include <algorithm>

#include "nabla/autograd/node.hpp"
#include "nabla/core/error.hpp"
#include "nabla/core/factory.hpp"
#include "ops/kernels.h"

namespace nabla {
namespace {

std::string tuple_str(const Shape& values) {
  std::string s = "(";
  for (size_t i = 0; i < values.size(); ++i) s += (i ? ", " : "") + std::to_string(values[i]);
  return s + ")";
}

// PyTorch names the sizes in its messages "kernel_height: 2 kernel_width: 2"; the dims of a 3-D
// block are depth, height and width.
std::string named(const char* prefix, const Shape& values) {
  static const char* const names[] = {"depth", "height", "width"};
  std::string s;
  for (size_t d = 0; d < values.size(); ++d) {
    if (d) s += ' ';
    s.append(prefix).append("_").append(names[3 - values.size() + d]).append(": ").append(std::to_string(values[d]));
  }
  return s;
}

// The sliding-block geometry of one unfold/fold.
struct Blocks {
  Shape image, kernel, dilation, padding, stride, count;  // per spatial dim; count = blocks along it

  int64_t dims() const { return static_cast<int64_t>(kernel.size()); }
  int64_t kernel_numel() const { return numel(kernel); }
  int64_t block_numel() const { return numel(count); }
  int64_t image_numel() const { return numel(image); }
};

Shape expand(const Sizes& sizes, int64_t dims, const char* name, const char* op, const Sizes& decider,
             const char* decider_name) {
  if (sizes.scalar) return Shape(dims, sizes.values[0]);
  NABLA_CHECK(static_cast<int64_t>(sizes.values.size()) == dims, op, ": ", name, "=", tuple_str(sizes.values),
              " must be one number or ", dims, " numbers, one per spatial dim (", decider_name, "=",
              tuple_str(decider.values), " makes this a ", dims, "-D ", op, ")");
  return sizes.values;
}

int64_t rank_of(const Sizes& sizes, const char* name, const char* op) {
  const int64_t dims = sizes.scalar ? 2 : static_cast<int64_t>(sizes.values.size());
  NABLA_CHECK(dims >= 1 && dims <= 3, op, ": ", name, "=", tuple_str(sizes.values),
              " must have 1, 2 or 3 values (one per spatial dim)");
  return dims;
}

// Row 25 of the catalogue, in PyTorch's words.
void check_sizes(const Blocks& b, const char* op) {
  check_required(op, "kernel_size", b.kernel);
  for (int64_t k : b.kernel)
    NABLA_CHECK(k > 0, "kernel size should be greater than zero, but got ", named("kernel", b.kernel));
  for (int64_t s : b.stride)
    NABLA_CHECK(s > 0, "stride should be greater than zero, but got ", named("stride", b.stride));
  for (int64_t d : b.dilation)
    NABLA_CHECK(d > 0, "dilation should be greater than zero, but got ", named("dilation", b.dilation));
  for (int64_t p : b.padding)
    NABLA_CHECK(p >= 0, "padding should be non-negative, but got ", named("pad", b.padding));
  check_window_sizes(op, "kernel_size", b.kernel);
  check_window_sizes(op, "dilation", b.dilation);
  check_window_sizes(op, "padding", b.padding);
  check_window_sizes(op, "stride", b.stride);
}

// Rounds down, as PyTorch's block count does (a negative span gives 0 blocks, not 1).
int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

// Every size is at most kMaxWindowSize (check_sizes) and the image is a real tensor's or a checked
// output_size, so nothing here overflows.
void count_blocks(Blocks& b) {
  b.count.clear();
  for (int64_t d = 0; d < b.dims(); ++d)
    b.count.push_back(floor_div(b.image[d] + 2 * b.padding[d] - b.dilation[d] * (b.kernel[d] - 1) - 1, b.stride[d]) +
                      1);
}

// One row of the column matrix over the blocks along the last dim: blocks [lo, hi) read image
// elements image_offset + j * stride (j the block index); the others fall in the padding.
struct Segment {
  int64_t column_offset, image_offset, lo, hi;
};

std::vector<Segment> segments(const Blocks& b) {
  const int64_t last = b.dims() - 1, run = b.count[last], step = b.stride[last];
  const Shape image_strides = contiguous_strides(b.image);
  const Shape outer_count(b.count.begin(), b.count.end() - 1);
  std::vector<Segment> out;
  out.reserve(b.kernel_numel() * numel(outer_count));
  Shape offset(b.dims(), 0);  // kernel offset, row-major odometer
  for (int64_t row = 0; row < b.kernel_numel(); ++row) {
    // Along the last dim block j reads image index j * step + shift; [lo, hi) is where that is inside.
    const int64_t shift = offset[last] * b.dilation[last] - b.padding[last];
    const int64_t lo = std::min(run, shift >= 0 ? 0 : (-shift + step - 1) / step);
    const int64_t hi = std::max(lo, std::min(run, shift < b.image[last] ? (b.image[last] - 1 - shift) / step + 1 : 0));
    Shape block(outer_count.size(), 0);
    for (int64_t s = 0; s < numel(outer_count); ++s) {
      int64_t image_offset = shift;
      bool inside = true;
      for (int64_t d = 0; d < last; ++d) {
        const int64_t i = block[d] * b.stride[d] + offset[d] * b.dilation[d] - b.padding[d];
        inside = inside && i >= 0 && i < b.image[d];
        image_offset += i * image_strides[d];
      }
      out.push_back({row * b.block_numel() + s * run, image_offset, inside ? lo : 0, inside ? hi : 0});
      for (int64_t d = last - 1; d >= 0 && ++block[d] == outer_count[d]; --d) block[d] = 0;
    }
    for (int64_t d = last; d >= 0 && ++offset[d] == b.kernel[d]; --d) offset[d] = 0;
  }
  return out;
}

// image: (planes, *b.image) → columns: (planes, ∏kernel, L), both contiguous.
void im2col(const Blocks& b, const float* image, float* columns, int64_t planes) {
  const std::vector<Segment> segs = segments(b);
  const int64_t run = b.count.back(), step = b.stride.back();
  const int64_t image_size = b.image_numel(), column_size = b.kernel_numel() * b.block_numel();
#pragma omp parallel for schedule(static)
  for (int64_t p = 0; p < planes; ++p) {
    const float* in = image + p * image_size;
    float* cols = columns + p * column_size;
    for (const Segment& s : segs) {
      float* out = cols + s.column_offset;
      const float* src = in + s.image_offset;
      std::fill(out, out + s.lo, 0.0f);
      for (int64_t j = s.lo; j < s.hi; ++j) out[j] = src[j * step];
      std::fill(out + s.hi, out + run, 0.0f);
    }
  }
}

// columns: (planes, ∏kernel, L) → image: (planes, *b.image), summing where blocks overlap.
void col2im(const Blocks& b, const float* columns, float* image, int64_t planes) {
  const std::vector<Segment> segs = segments(b);
  const int64_t step = b.stride.back();
  const int64_t image_size = b.image_numel(), column_size = b.kernel_numel() * b.block_numel();
#pragma omp parallel for schedule(static)
  for (int64_t p = 0; p < planes; ++p) {
    const float* cols = columns + p * column_size;
    float* out = image + p * image_size;
    std::fill(out, out + image_size, 0.0f);
    for (const Segment& s : segs) {
      const float* in = cols + s.column_offset;
      float* dst = out + s.image_offset;
      for (int64_t j = s.lo; j < s.hi; ++j) dst[j * step] += in[j];
    }
  }
}

Tensor fold_batched(const Tensor& columns, const Blocks& b);

// x: (N, C, *b.image), contiguous or not.
Tensor unfold_batched(const Tensor& input, const Blocks& b) {
  const int64_t n = input.size(0), c = input.size(1);
  const Tensor x = input.detach().contiguous();
  Tensor y = empty({n, checked_mul(c, b.kernel_numel(), "unfold: channels * kernel size"), b.block_numel()});
  im2col(b, x.data_ptr<float>(), y.data_ptr<float>(), n * c);
  return autograd::record(
      "Im2ColBackward0", y, {input},
      [b](const Tensor& grad, const autograd::Needs&) { return autograd::Grads{fold_batched(grad, b)}; },
      autograd::Saves::Nothing);
}

// columns: (N, C·∏kernel, L).
Tensor fold_batched(const Tensor& input, const Blocks& b) {
  const int64_t n = input.size(0), c = input.size(1) / b.kernel_numel();
  const Tensor columns = input.detach().contiguous();
  Shape shape{n, c};
  shape.insert(shape.end(), b.image.begin(), b.image.end());
  Tensor y = empty(shape);
  col2im(b, columns.data_ptr<float>(), y.data_ptr<float>(), n * c);
  return autograd::record(
      "Col2ImBackward0", y, {input},
      [b](const Tensor& grad, const autograd::Needs&) { return autograd::Grads{unfold_batched(grad, b)}; },
      autograd::Saves::Nothing);
}

// The options as blocks, every size per dim and checked. `decider` (kernel_size for unfold,
// output_size for fold) gives the number of spatial dims; unfold fills in the image later.
template <class Options>
Blocks blocks_of(const Options& o, const Sizes& decider, const char* decider_name, const char* op) {
  const int64_t dims = rank_of(decider, decider_name, op);
  const auto per_dim = [&](const Sizes& sizes, const char* name) {
    return expand(sizes, dims, name, op, decider, decider_name);
  };
  Blocks b;
  b.kernel = per_dim(o.kernel_size, "kernel_size");
  b.dilation = per_dim(o.dilation, "dilation");
  b.padding = per_dim(o.padding, "padding");
  b.stride = per_dim(o.stride, "stride");
  check_sizes(b, op);
  return b;
}

Blocks unfold_blocks(const UnfoldOptions& o) { return blocks_of(o, o.kernel_size, "kernel_size", "unfold"); }

Blocks fold_blocks(const FoldOptions& o) {
  check_required("fold", "output_size", o.output_size.values);
  Blocks b = blocks_of(o, o.output_size, "output_size", "fold");
  b.image = expand(o.output_size, b.dims(), "output_size", "fold", o.output_size, "output_size");
  check_window_sizes("fold", "output_size", b.image);
  return b;
}

}  // namespace

void validate(const UnfoldOptions& options) { unfold_blocks(options); }
void validate(const FoldOptions& options) { fold_blocks(options); }

Tensor unfold(const Tensor& input, const UnfoldOptions& o) {
  kernels::check_float(input, "unfold");
  Blocks b = unfold_blocks(o);
  const int64_t dims = b.dims();
  NABLA_CHECK(input.dim() == dims + 1 || input.dim() == dims + 2, "unfold: Input Error: Only ", dims + 1, "D or ",
              dims + 2, "D input Tensors are supported (got ", input.dim(), "D) for a ", dims,
              "-D kernel_size=", tuple_str(b.kernel));
  if (input.dim() == dims + 1) return unfold(input.unsqueeze(0), o).squeeze(0);
  for (int64_t d = 1; d < input.dim(); ++d)
    NABLA_CHECK(input.size(d) > 0, "unfold: Expected ", dims + 1, "D or ", dims + 2, "D (batch mode) tensor with "
                "possibly 0 batch size and other non-zero dimensions for input, but got: ", shape_str(input.shape()));
  b.image = Shape(input.shape().begin() + 2, input.shape().end());
  count_blocks(b);
  for (int64_t count : b.count)
    NABLA_CHECK(count >= 1, "unfold: Given input with spatial size ", tuple_str(b.image), ", kernel_size=",
                tuple_str(b.kernel), ", dilation=", tuple_str(b.dilation), ", padding=", tuple_str(b.padding),
                ", calculated shape of the array of sliding blocks as ", tuple_str(b.count),
                ", but its components must be at least one.");
  return unfold_batched(input, b);
}

Tensor fold(const Tensor& input, const FoldOptions& o) {
  kernels::check_float(input, "fold");
  Blocks b = fold_blocks(o);
  NABLA_CHECK(input.dim() == 2 || input.dim() == 3, "fold: Input Error: Only unbatched (2D) or batched (3D) input "
              "Tensors are supported (got ", input.dim(), "D)");
  if (input.dim() == 2) return fold(input.unsqueeze(0), o).squeeze(0);
  NABLA_CHECK(input.size(1) > 0 && input.size(2) > 0, "fold: Expected 2D or 3D (batch mode) tensor for input with "
              "possibly 0 batch size and non-zero dimensions for input, but got: ", shape_str(input.shape()));
  NABLA_CHECK(input.size(1) % b.kernel_numel() == 0, "fold: Expected size of input's dimension 1 to be divisible by "
              "the product of kernel_size, but got input.size(1)=", input.size(1), " and kernel_size=",
              tuple_str(b.kernel), ".");
  count_blocks(b);
  std::string product;
  for (int64_t count : b.count) product += (product.empty() ? "" : " * ") + std::to_string(count);
  const bool valid = std::all_of(b.count.begin(), b.count.end(), [](int64_t c) { return c >= 1; });
  NABLA_CHECK(valid && input.size(2) == b.block_numel(), "fold: Given output_size=", tuple_str(b.image),
              ", kernel_size=", tuple_str(b.kernel), ", dilation=", tuple_str(b.dilation), ", padding=",
              tuple_str(b.padding), ", stride=", tuple_str(b.stride), ", expected size of input's dimension 2 to "
              "match the calculated number of sliding blocks ", product, " = ", numel(b.count),
              ", but got input.size(2)=", input.size(2), ".");
  return fold_batched(input, b);
}

}  // namespace nabla
