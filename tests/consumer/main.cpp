// Trains a one-layer model for a few steps; exits 0 when the loss fell.
#include <nabla/nabla.hpp>

#include <iostream>
#include <string>

int main() {
  namespace F = nabla::nn::functional;
  nabla::manual_seed(0);
  auto x = nabla::randn({16, 3});
  auto y = nabla::from_vector(std::vector<int64_t>(16, 1), {16});
  nabla::nn::Linear lin({.in_features = 3, .out_features = 2});
  nabla::optim::SGD opt(lin.parameters(), {.lr = 0.5});
  float first = 0, last = 0;
  for (int step = 0; step < 10; ++step) {
    opt.zero_grad();
    auto loss = F::cross_entropy(lin(x), y);
    loss.backward();
    opt.step();
    (step == 0 ? first : last) = loss.item<float>();
  }
  std::cout << "nabla " << nabla::version() << ", " << lin << ": loss " << first << " -> " << last << "\n";
  if (std::string(nabla::version()) != NABLA_VERSION) return 1;  // headers and library from different installs
  return last < first ? 0 : 1;
}
