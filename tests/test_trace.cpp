// core/trace.hpp: what a forward reports to a recorder (the ground onnx::export_model stands on).
#include "helpers.hpp"

using namespace nabla;

TEST_CASE("a traced forward reports each op once, with its inputs, outputs and settings, and nothing inside it") {
  manual_seed(0);
  nn::Conv2d conv({.in_channels = 1, .out_channels = 2, .kernel_size = 3, .padding = 1});
  const Tensor x = randn({1, 1, 4, 4});
  std::vector<trace::Event> events;
  Tensor y;
  {
    trace::Session session([&](const trace::Event& e) { events.push_back(e); });
    y = gelu(conv(x)).flatten(1);  // gelu runs oneDNN's eltwise; conv a whole primitive: one event each
  }
  REQUIRE(events.size() == 3);
  CHECK(events[0].op == "convolution");
  CHECK(events[0].inputs.at(0).is_same(x));
  CHECK(events[0].inputs.at(1).is_same(conv.weight));
  CHECK(std::get<std::vector<int64_t>>(events[0].attributes.at("padding")) == std::vector<int64_t>{1, 1});
  CHECK(events[1].op == "gelu");
  CHECK(std::get<std::string>(events[1].attributes.at("approximate")) == "none");
  CHECK(events[1].inputs.at(0).is_same(events[0].outputs.at(0)));
  CHECK(events[2].op == "flatten");
  CHECK(events[2].outputs.at(0).is_same(y));
  // softsign is written with abs, add and div: it reports itself alone.
  events.clear();
  {
    trace::Session session([&](const trace::Event& e) { events.push_back(e); });
    (void)softsign(x);
  }
  REQUIRE(events.size() == 1);
  CHECK(events[0].op == "softsign");
  // With no session, nothing is recorded (and the recorder above is gone).
  (void)relu(x);
  CHECK(events.size() == 1);
}
