// Image files (io::read_image, encode/write) and datasets::ImageFolder against PIL and torchvision 0.14
// (tools/make_data_fixtures.py): the pixels ImageFolder's default loader gives, and its classes and sample list.
#include <zlib.h>

#include <filesystem>

#include "helpers.hpp"
#include "nabla/nn/data/image.hpp"
#include "nabla/nn/data/image_folder.hpp"

using namespace nabla;

namespace {

const std::string kImages = std::string(NABLA_FIXTURES) + "/data/images/";

std::filesystem::path temp_folder(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("nabla_images_" + std::to_string(::getpid()) + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace

TEST_CASE("read_image decodes PNG and JPEG files to PIL's pixels, in RGB and grey") {
  for (const char* file : {"grey.png", "grey_alpha.png", "rgb.png", "rgba.png", "palette.png", "palette_trns.png",
                           "bits1.png", "interlaced.png", "colour.jpg", "grey.jpg"}) {
    for (const auto& [mode, suffix] :
         {std::pair{io::ImageReadMode::RGB, "rgb"}, std::pair{io::ImageReadMode::GRAY, "l"}}) {
      CAPTURE(file);
      CAPTURE(suffix);
      const Tensor image = io::read_image(kImages + file, mode);
      const Tensor expected = test::fixture(std::string("data/images/") + file + "." + suffix);
      CHECK(image.dtype() == kUInt8);
      REQUIRE(image.shape() == expected.shape());
      CHECK(image.to(kFloat32).to_vector<float>() == expected.to_vector<float>());
    }
  }
}

TEST_CASE("read_image keeps a file's own channels unless asked, and 16-bit PNGs keep their high byte") {
  CHECK(io::read_image(kImages + "grey.png").shape() == Shape{1, 6, 8});
  CHECK(io::read_image(kImages + "grey_alpha.png").shape() == Shape{2, 6, 8});
  CHECK(io::read_image(kImages + "rgba.png").shape() == Shape{4, 6, 8});
  CHECK(io::read_image(kImages + "palette.png").shape() == Shape{3, 6, 8});
  CHECK(io::read_image(kImages + "palette_trns.png").shape() == Shape{4, 6, 8});
  CHECK(
      io::read_image(kImages + "rgb.png", io::ImageReadMode::RGB_ALPHA).select(0, 3).to(kFloat32).min().item<float>() ==
      255);
  // grey16.png holds v · 257 + 3 for the bytes v of grey.png: the high byte is v.
  CHECK(io::read_image(kImages + "grey16.png").to_vector<uint8_t>() ==
        io::read_image(kImages + "grey.png").to_vector<uint8_t>());
}

TEST_CASE("encode_png and encode_jpeg round-trip through decode_image") {
  const Tensor rgb = io::read_image(kImages + "rgb.png");
  for (int64_t channels : {1, 2, 3, 4}) {
    const Tensor image = channels == 3 ? rgb : io::read_image(kImages + "rgba.png").narrow(0, 0, channels).contiguous();
    CHECK(io::decode_image(io::encode_png(image)).to_vector<uint8_t>() == image.to_vector<uint8_t>());
  }
  const Tensor smooth =
      (arange(16, kFloat32).reshape({1, 1, 16}) * 3.0 + arange(16, kFloat32).reshape({1, 16, 1}) * 2.0 +
       arange(3, kFloat32).reshape({3, 1, 1}) * 40.0 + 20.0)
          .to(kUInt8);
  const Tensor back = io::decode_image(io::encode_jpeg(smooth, 95));
  CHECK(back.shape() == smooth.shape());
  CHECK((back.to(kFloat32) - smooth.to(kFloat32)).abs().mean().item<float>() < 6);  // lossy, but close
  CHECK_THROWS_WITH_AS(io::encode_jpeg(smooth.narrow(0, 0, 2)), doctest::Contains("channels: 1 or 3"), Error);
  CHECK_THROWS_WITH_AS(io::encode_png(zeros({3, 4, 4})), doctest::Contains("expected a uint8 image tensor"), Error);
}

TEST_CASE("damaged and foreign image files are errors naming the file and where decoding stopped") {
  const int64_t memory_limit_before = memory_limit();
  const std::string png = read_file(kImages + "rgb.png", "test"), jpeg = read_file(kImages + "colour.jpg", "test");
  CHECK_THROWS_WITH_AS(io::decode_image(png.substr(0, 60), io::ImageReadMode::RGB, "cut.png"),
                       doctest::Contains("'cut.png': damaged PNG at byte"), Error);
  std::string flipped = png;
  flipped[40] = static_cast<char>(flipped[40] ^ 0x5a);  // inside the first chunk: its CRC fails
  CHECK_THROWS_WITH_AS(io::decode_image(flipped, io::ImageReadMode::RGB, "flipped.png"),
                       doctest::Contains("'flipped.png': damaged PNG"), Error);
  CHECK_THROWS_WITH_AS(io::decode_image(jpeg.substr(0, jpeg.size() / 2), io::ImageReadMode::RGB, "cut.jpg"),
                       doctest::Contains("'cut.jpg': damaged JPEG"), Error);
  CHECK_THROWS_WITH_AS(io::decode_image("GIF89a....", io::ImageReadMode::RGB, "a.gif"),
                       doctest::Contains("'a.gif': not a PNG or JPEG file"), Error);
  CHECK_THROWS_WITH_AS(io::read_image(kImages + "missing.png"), doctest::Contains("missing.png"), Error);
  // A header claiming 60,000 × 60,000 RGBA pixels (14 GB) in a 100-byte file: refused before any allocation.
  std::string forged = png;
  const auto be32 = [&](size_t at, uint32_t v) {
    for (int k = 0; k < 4; ++k) forged[at + static_cast<size_t>(k)] = static_cast<char>(v >> (24 - 8 * k));
  };
  be32(16, 60000);
  be32(20, 60000);
  forged[25] = 6;  // RGBA
  be32(29, static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(forged.data() + 12), 17)));
  set_memory_limit(int64_t{1} << 30);
  CHECK_THROWS_WITH_AS(io::decode_image(forged, io::ImageReadMode::UNCHANGED, "huge.png"),
                       doctest::Contains("decode_image: 'huge.png': a uint8 tensor of shape [2, 4, 60000, 60000]"),
                       Error);
  set_memory_limit(memory_limit_before);
}

TEST_CASE("ImageFolder finds torchvision's classes and samples, in torchvision's order") {
  const auto root = temp_folder("tree");
  std::vector<std::string> classes;
  std::vector<std::pair<std::string, int64_t>> expected;
  for (auto& c : test::fixture_cases("data/image_folder.txt")) {
    if (c.count("create")) {
      const auto path = root / c["create"];
      std::filesystem::create_directories(path.parent_path());
      write_file(path.string(), "", "test");
    }
    if (c.count("classes")) {
      std::stringstream s(c["classes"]);
      for (std::string name; std::getline(s, name, ',');) classes.push_back(name);
    }
    if (c.count("sample")) expected.emplace_back((root / c["sample"]).string(), std::stoll(c["target"]));
  }
  REQUIRE(!expected.empty());
  const datasets::ImageFolder folder(root.string());
  CHECK(folder.classes() == classes);
  CHECK(folder.samples() == expected);
  CHECK(folder.class_to_idx().at("dog") == 2);
  CHECK(folder.size() == static_cast<int64_t>(expected.size()));
  std::filesystem::remove_all(root);
}

TEST_CASE("ImageFolder loads, converts and transforms each sample, and says what is missing") {
  const auto root = temp_folder("load");
  std::filesystem::create_directories(root / "shirt");
  std::filesystem::copy_file(kImages + "rgb.png", root / "shirt" / "1.png");
  std::filesystem::copy_file(kImages + "colour.jpg", root / "shirt" / "2.jpg");
  const datasets::ImageFolder grey(
      root.string(), {.transform = [](const Tensor& x) { return x.to(kFloat32); }, .mode = io::ImageReadMode::GRAY});
  const auto [image, target] = grey.get(1);
  CHECK(image.dtype() == kFloat32);
  CHECK(image.to_vector<float>() == test::fixture("data/images/colour.jpg.l").to_vector<float>());
  CHECK(target == 0);
  CHECK_THROWS_WITH_AS(grey.get(2), doctest::Contains("ImageFolder: index 2 is out of range"), Error);
  std::filesystem::create_directories(root / "trousers");
  CHECK_THROWS_WITH_AS(datasets::ImageFolder(root.string()),
                       doctest::Contains("Found no valid file for the classes trousers"), Error);
  CHECK_THROWS_WITH_AS(datasets::ImageFolder((root / "nowhere").string()), doctest::Contains("is not a folder"), Error);
  std::filesystem::create_directory_symlink(root / "trousers", root / "trousers" / "loop");  // a cycle
  CHECK_THROWS_WITH_AS(datasets::ImageFolder(root.string()), doctest::Contains("ImageFolder: cannot list"), Error);
  std::filesystem::remove_all(root);
}
