// Writes an MNIST-format data set (Fashion-MNIST by default) as an image folder, one file per image, the way image
// data sets usually come: <out>/{train,test}/<class>/<index>.png (or .jpg). The class folders are named
// "<label>_<name>" so that their sorted order, which ImageFolder turns into class indices, is the label order.
//
//   image_folder --out data/fashion-png                    # 70,000 PNG files
//   image_folder --out data/fashion-jpeg --format jpeg --quality 90
#include <CLI/CLI.hpp>
#include <nabla/nabla.hpp>

#include <filesystem>
#include <iostream>

using namespace nabla;

int main(int argc, char** argv) {
  CLI::App app{"Writes an MNIST-format data set as an ImageFolder tree of PNG or JPEG files."};
  std::string data_dir = "/usr/share/datasets/fashion-mnist", out, format = "png";
  int quality = 90;
  int64_t limit = 0;
  std::vector<std::string> names = {"T-shirt_top", "Trouser", "Pullover", "Dress", "Coat",
                                    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle_boot"};
  app.add_option("--data", data_dir, "folder of {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]")
      ->capture_default_str();
  app.add_option("--out", out, "folder to create (train/ and test/ inside)")->required();
  app.add_option("--format", format, "png or jpeg")->capture_default_str()->check(CLI::IsMember({"png", "jpeg"}));
  app.add_option("--quality", quality, "JPEG quality")->capture_default_str()->check(CLI::Range(1, 100));
  app.add_option("--limit", limit, "write the first N images of each split only")->check(CLI::NonNegativeNumber);
  app.add_option("--class-names", names, "the folder name of each label (Fashion-MNIST's by default)");
  CLI11_PARSE(app, argc, argv);

  try {
    for (const bool train : {true, false}) {
      const datasets::MNIST split(data_dir, {.train = train});
      const int64_t count = limit > 0 ? std::min(limit, split.size()) : split.size();
      const auto folder = std::filesystem::path(out) / (train ? "train" : "test");
      ProgressBar bar(train ? "train" : "test", count, std::cout, 100, "img");
      for (int64_t i = 0; i < count; ++i) {
        const auto [image, label] = split.get(i);
        NABLA_CHECK(label >= 0 && label < static_cast<int64_t>(names.size()), "image_folder: label ", label,
                    " has no class name (give --class-names)");
        const auto dir = folder / (std::to_string(label) + "_" + names[static_cast<size_t>(label)]);
        std::filesystem::create_directories(dir);
        const std::string file = (dir / std::to_string(i)).string();
        if (format == "png")
          io::write_png(image, file + ".png");
        else
          io::write_jpeg(image, file + ".jpg", quality);
        bar.update(i + 1, i + 1, "");
      }
      bar.finish("");
    }
    std::cout << "wrote " << out << "/{train,test}/<class>/*." << (format == "png" ? "png" : "jpg") << "\n";
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
