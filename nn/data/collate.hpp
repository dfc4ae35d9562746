#pragma once
/// @file
/// default_collate: how DataLoader turns a list of samples into a batch, as torch.utils.data.default_collate does.
/// Tensors are stacked along a new first dim; integers become an int64 tensor, floating-point numbers a float32 one;
/// pairs, tuples and vectors are collated member by member (a (image, label) sample gives an (images, labels) batch).
/// @ingroup data
#include <cstdint>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "nabla/core/tensor.hpp"

namespace nabla::data {
/// @addtogroup data
/// @{

Tensor collate_tensors(const std::vector<Tensor>& samples);    ///< stack, with an error naming mismatched shapes
Tensor collate_integers(const std::vector<int64_t>& samples);  ///< int64 samples as an int64 tensor (N)
Tensor collate_floats(const std::vector<float>& samples);      ///< float samples as a float32 tensor (N)

/// torch.utils.data.default_collate: tensors stacked, numbers into a tensor, pairs, tuples and vectors member by
/// member.
struct DefaultCollate {
  /// The batch of `samples`, of the same structure as one sample.
  template <class Sample>
  auto operator()(const std::vector<Sample>& samples) const {
    if constexpr (std::is_same_v<Sample, Tensor>) {
      return collate_tensors(samples);
    } else if constexpr (std::is_integral_v<Sample>) {
      return collate_integers(std::vector<int64_t>(samples.begin(), samples.end()));
    } else if constexpr (std::is_floating_point_v<Sample>) {
      return collate_floats(std::vector<float>(samples.begin(), samples.end()));
    } else {
      return collate_members(samples);
    }
  }

 private:
  template <class Sample, size_t I>
  auto column(const std::vector<Sample>& samples) const {
    std::vector<std::tuple_element_t<I, Sample>> values;
    values.reserve(samples.size());
    for (const auto& s : samples) values.push_back(std::get<I>(s));
    return (*this)(values);
  }
  template <class Sample, size_t... I>
  auto columns(const std::vector<Sample>& samples, std::index_sequence<I...>) const {
    if constexpr (sizeof...(I) == 2)
      return std::pair{column<Sample, I>(samples)...};
    else
      return std::tuple{column<Sample, I>(samples)...};
  }
  template <class Sample>
  auto collate_members(const std::vector<Sample>& samples) const {
    if constexpr (requires { std::tuple_size<Sample>::value; }) {
      return columns(samples, std::make_index_sequence<std::tuple_size_v<Sample>>{});
    } else {  // a vector of fields, each collated across the samples
      using Field = typename Sample::value_type;
      const size_t fields = samples.empty() ? 0 : samples.front().size();
      std::vector<decltype((*this)(std::vector<Field>{}))> batch;
      for (size_t f = 0; f < fields; ++f) {
        std::vector<Field> values;
        for (const auto& s : samples) values.push_back(s.at(f));
        batch.push_back((*this)(values));
      }
      return batch;
    }
  }
};

/// @}
}  // namespace nabla::data
