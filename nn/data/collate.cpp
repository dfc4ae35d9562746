#include "nabla/nn/data/collate.hpp"

#include "nabla/core/error.hpp"
#include "nabla/core/factory.hpp"
#include "nabla/core/shape.hpp"
#include "nabla/ops/shape_ops.hpp"

namespace nabla::data {

Tensor collate_tensors(const std::vector<Tensor>& samples) {
  NABLA_CHECK(!samples.empty(), "default_collate: a batch has no samples");
  for (size_t i = 1; i < samples.size(); ++i)
    NABLA_CHECK(samples[i].shape() == samples[0].shape() && samples[i].dtype() == samples[0].dtype(),
                "default_collate: stack expects each tensor to be equal size, but got ", shape_str(samples[0].shape()),
                " at entry 0 and ", shape_str(samples[i].shape()), " at entry ", i,
                " (give the samples one size, e.g. with transforms::Resize or a crop, or pass a collate function)");
  return stack(samples, 0);
}

Tensor collate_integers(const std::vector<int64_t>& samples) {
  return from_vector(samples, {static_cast<int64_t>(samples.size())});
}

Tensor collate_floats(const std::vector<float>& samples) {
  return from_vector(samples, {static_cast<int64_t>(samples.size())});
}

}  // namespace nabla::data
