// Tensor handles, factories, data access and printing.
#include "helpers.hpp"

#include <sstream>

using namespace nabla;

TEST_CASE("a default-constructed tensor is undefined") {
  Tensor t;
  CHECK_FALSE(t.defined());
  CHECK_THROWS_WITH_AS(t.shape(), doctest::Contains("undefined"), Error);
}

TEST_CASE("copies share storage and clone copies the data") {
  Tensor a = zeros({2, 3});
  Tensor b = a;
  b.fill_(2.0);
  CHECK(a.to_vector<float>() == std::vector<float>(6, 2.f));
  Tensor c = a.clone();
  c.fill_(5.0);
  CHECK(a.to_vector<float>() == std::vector<float>(6, 2.f));
}

TEST_CASE("storage is 64-byte aligned") {
  for (int64_t n : {1, 3, 17, 1000, 300000}) {
    const auto address = reinterpret_cast<uintptr_t>(empty({n}).data_ptr<float>());
    CHECK(address % 64 == 0);
  }
}

TEST_CASE("factories make the shapes, dtypes and values asked for") {
  CHECK(zeros({2, 2}).to_vector<float>() == std::vector<float>(4, 0.f));
  CHECK(ones({3}, kInt64).to_vector<int64_t>() == std::vector<int64_t>{1, 1, 1});
  CHECK(full({2}, 7.5).to_vector<float>() == std::vector<float>{7.5f, 7.5f});
  CHECK(arange(5).to_vector<int64_t>() == std::vector<int64_t>{0, 1, 2, 3, 4});
  CHECK(arange(1, 2, 0.25, kFloat32).to_vector<float>() == std::vector<float>{1.f, 1.25f, 1.5f, 1.75f});
  CHECK(zeros_like(ones({2, 3}, kInt64)).dtype() == kInt64);
  CHECK(from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3}).select(1, 2).to_vector<float>() ==
        std::vector<float>{3.f, 6.f});
  CHECK(scalar_tensor(4.0).item<float>() == 4.f);
  CHECK(empty({0, 3}).numel() == 0);
  const Tensor r = randint(3, 7, {1000});
  const auto v = r.to_vector<int64_t>();
  CHECK(*std::min_element(v.begin(), v.end()) == 3);
  CHECK(*std::max_element(v.begin(), v.end()) == 6);
}

TEST_CASE("factories reject bad arguments with a clear message") {
  CHECK_THROWS_WITH_AS(zeros({2, -1}), doctest::Contains("negative dimension -1"), Error);
  CHECK_THROWS_WITH_AS(from_vector(std::vector<float>{1, 2, 3}, {2, 2}),
                       doctest::Contains("3 values cannot fill shape [2, 2]"), Error);
  CHECK_THROWS_WITH_AS(randint(5, 5, {2}), doctest::Contains("low < high"), Error);
  CHECK_THROWS_WITH_AS(zeros({2}).data_ptr<int64_t>(), doctest::Contains("holds float32 but int64"), Error);
  CHECK_THROWS_WITH_AS(zeros({2}).item<float>(), doctest::Contains("2 elements"), Error);
}

TEST_CASE("shapes whose size overflows are refused instead of getting a wrapped-around buffer") {
  CHECK_THROWS_WITH_AS(zeros({int64_t{1} << 62}), doctest::Contains("needs more bytes than an int64 can count"), Error);
  CHECK_THROWS_WITH_AS(randn({int64_t{1} << 62}), doctest::Contains("shape [4611686018427387904]"), Error);
  CHECK_THROWS_WITH_AS(numel({int64_t{1} << 32, int64_t{1} << 32}), doctest::Contains("more elements than an int64"),
                       Error);
  CHECK_THROWS_WITH_AS(empty({int64_t{1} << 60}), doctest::Contains("GiB of memory"), Error);  // 4 EiB, not allocated
  CHECK(zeros({int64_t{1} << 40, int64_t{1} << 40, 0}).numel() == 0);  // a zero dim: nothing to count, no overflow
  CHECK_THROWS_WITH_AS(zeros({int64_t{1} << 40, 0, int64_t{1} << 40, int64_t{1} << 40}),
                       doctest::Contains("strides too large"), Error);
}

TEST_CASE("to converts between dtypes") {
  const Tensor f = from_vector(std::vector<float>{1.7f, -2.2f, 0.f}, {3});
  CHECK(f.to(kInt64).to_vector<int64_t>() == std::vector<int64_t>{1, -2, 0});
  CHECK(f.to(kBool).to_vector<bool>() == std::vector<bool>{true, true, false});
}

TEST_CASE("the generator reproduces PyTorch's streams") {
  manual_seed(0);
  test::check_close(rand({5}), test::fixture("random_rand"), 0, 0);
  test::check_close(randn({7}), test::fixture("random_randn_small"), 1e-6, 1e-6);
  test::check_close(randn({37}), test::fixture("random_randn_large"), 1e-6, 1e-5);
  CHECK(randint(0, 10, {6}).to_vector<int64_t>() == test::fixture("random_randint").to_vector<int64_t>());
  CHECK(randperm(10).to_vector<int64_t>() == test::fixture("random_randperm").to_vector<int64_t>());
}

TEST_CASE("tensors print like PyTorch") {
  // Expected strings are PyTorch 1.13's repr of the same tensors.
  const auto repr = [](const Tensor& t) { return to_string(t); };
  Tensor a = from_vector(std::vector<float>{0.1f, -2.0f, 3.5f, 4.25f}, {2, 2});
  CHECK(repr(a) == "tensor([[ 0.1000, -2.0000],\n        [ 3.5000,  4.2500]])");
  a.requires_grad_();
  CHECK(repr(a) == "tensor([[ 0.1000, -2.0000],\n        [ 3.5000,  4.2500]], requires_grad=True)");
  CHECK(repr(a * 2.0) == "tensor([[ 0.2000, -4.0000],\n        [ 7.0000,  8.5000]], grad_fn=<MulBackward0>)");
  CHECK(repr(from_vector(std::vector<int64_t>{1, 2, 300}, {3})) == "tensor([  1,   2, 300])");
  CHECK(repr(from_vector(std::vector<float>{1, 2, -3}, {3})) == "tensor([ 1.,  2., -3.])");
  CHECK(repr(from_vector(std::vector<float>{1e-5f, 1.f, 1e5f}, {3})) == "tensor([1.0000e-05, 1.0000e+00, 1.0000e+05])");
  CHECK(repr(from_vector(std::vector<bool>{true, false}, {2})) == "tensor([ True, False])");
  CHECK(repr(zeros({0, 3})) == "tensor([], size=(0, 3))");
  CHECK(repr(scalar_tensor(3.5)) == "tensor(3.5000)");
  CHECK(repr(arange(2000, kFloat32).reshape({40, 50})) ==
        "tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 4.7000e+01, 4.8000e+01,\n"
        "         4.9000e+01],\n"
        "        [5.0000e+01, 5.1000e+01, 5.2000e+01,  ..., 9.7000e+01, 9.8000e+01,\n"
        "         9.9000e+01],\n"
        "        [1.0000e+02, 1.0100e+02, 1.0200e+02,  ..., 1.4700e+02, 1.4800e+02,\n"
        "         1.4900e+02],\n"
        "        ...,\n"
        "        [1.8500e+03, 1.8510e+03, 1.8520e+03,  ..., 1.8970e+03, 1.8980e+03,\n"
        "         1.8990e+03],\n"
        "        [1.9000e+03, 1.9010e+03, 1.9020e+03,  ..., 1.9470e+03, 1.9480e+03,\n"
        "         1.9490e+03],\n"
        "        [1.9500e+03, 1.9510e+03, 1.9520e+03,  ..., 1.9970e+03, 1.9980e+03,\n"
        "         1.9990e+03]])");
  CHECK(repr(arange(30, kFloat32) / 7.0) ==
        "tensor([0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429,\n"
        "        1.2857, 1.4286, 1.5714, 1.7143, 1.8571, 2.0000, 2.1429, 2.2857, 2.4286,\n"
        "        2.5714, 2.7143, 2.8571, 3.0000, 3.1429, 3.2857, 3.4286, 3.5714, 3.7143,\n"
        "        3.8571, 4.0000, 4.1429])");
  std::ostringstream os;
  os << ones({1});
  CHECK(os.str() == "tensor([1.])");
}
