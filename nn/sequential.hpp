#pragma once
/// @file
/// nn::Sequential: modules applied in order, registered as children "0", "1", ...
/// @ingroup modules
#include <functional>
#include <memory>
#include <type_traits>
#include <vector>

#include "nabla/nn/activation.hpp"
#include "nabla/nn/module.hpp"

namespace nabla::nn {
/// @addtogroup modules
/// @{

/// torch.nn.Sequential: modules applied in order, registered as "0", "1", ...; a Conv or BatchNorm followed by a ReLU
/// runs fused.
class Sequential : public Layer<Sequential> {
 public:
  Sequential() = default;
  /// The modules, in order.
  template <class... Modules>
  requires(sizeof...(Modules) > 0 && !(sizeof...(Modules) == 1 && (std::is_base_of_v<Sequential, Modules> &&
                                                                   ...))) explicit Sequential(Modules... modules) {
    (push_back(std::move(modules)), ...);
  }

  /// Appends a module with a forward(const Tensor&) -> Tensor. A ReLU right after a module that can apply it
  /// itself (a Conv's forward_relu: the ReLU as the conv primitive's post-op) is fused into it; the values,
  /// gradients and grad_fn are those of the two modules run one after the other.
  template <class M>
  void push_back(M module) {
    auto child = std::make_shared<M>(std::move(module));
    register_module(std::to_string(steps_->size()), std::shared_ptr<M>(child));
    Step step = [child](const Tensor&x) { return child->forward(x); }, with_relu;
    if constexpr (std::is_same_v<M, ReLU>) {
      if (!steps_->empty() && fused_with_relu_->back()) {
        steps_->back() = fused_with_relu_->back();
        step = [](const Tensor& x) { return x; };  // already applied by the step before
      }
    }
    if constexpr (requires(M & m, const Tensor& x) { m.forward_relu(x); })
      with_relu = [child](const Tensor& x) { return child->forward_relu(x); };
    steps_->push_back(std::move(step));
    fused_with_relu_->push_back(std::move(with_relu));
  }

  Tensor forward(const Tensor& input);            ///< each module on the previous one's output
  size_t size() const { return steps_->size(); }  ///< the number of modules
  /// The i-th module, as its type: seq.at<Linear>(0).weight.
  template <class M>
  M& at(size_t index) {
    auto typed = std::dynamic_pointer_cast<M>(children().at(index));
    if (!typed)
      throw Error("Sequential::at: module " + std::to_string(index) + " is a " + children().at(index)->name());
    return *typed;
  }

 private:
  using Step = std::function<Tensor(const Tensor&)>;
  /// Shared between copies, like the registry. fused_with_relu_[i]: step i followed by a ReLU, when module i
  /// can fuse one (else empty).
  std::shared_ptr<std::vector<Step>> steps_ = std::make_shared<std::vector<Step>>();
  std::shared_ptr<std::vector<Step>> fused_with_relu_ = std::make_shared<std::vector<Step>>();
};

/// @}
}  // namespace nabla::nn
