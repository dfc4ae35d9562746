#include "nabla/nn/data/image_folder.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "nabla/core/error.hpp"

namespace nabla::datasets {
namespace fs = std::filesystem;
namespace {

bool has_extension(const std::string& name, const std::vector<std::string>& extensions) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return std::any_of(extensions.begin(), extensions.end(), [&](const std::string& e) {
    return lower.size() >= e.size() && lower.compare(lower.size() - e.size(), e.size(), e) == 0;
  });
}

// torchvision's make_dataset for one class: sorted(os.walk(folder, followlinks=True)), each folder's files sorted,
// i.e. the files ordered by (folder path, file name).
std::vector<std::string> class_files(const fs::path& folder, const std::vector<std::string>& extensions) {
  std::vector<std::pair<std::string, std::string>> found;
  try {
    for (const auto& entry :
         fs::recursive_directory_iterator(folder, fs::directory_options::follow_directory_symlink)) {
      if (entry.is_directory() || !has_extension(entry.path().filename().string(), extensions)) continue;
      found.emplace_back(entry.path().parent_path().string(), entry.path().filename().string());
    }
  } catch (const fs::filesystem_error& e) {  // an unreadable folder, a symbolic link loop
    nabla::detail::fail("ImageFolder: cannot list '", folder.string(), "': ", e.what());
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> paths;
  for (const auto& [dir, name] : found) paths.push_back((fs::path(dir) / name).string());
  return paths;
}

}  // namespace

ImageFolder::ImageFolder(const std::string& root, ImageFolderOptions options)
    : root_(root), options_(std::move(options)) {
  NABLA_CHECK(fs::is_directory(root), "ImageFolder: '", root, "' is not a folder");
  NABLA_CHECK(!options_.extensions.empty(), "ImageFolder: extensions should not be empty");
  for (auto& e : options_.extensions)
    std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return std::tolower(c); });
  std::vector<std::string> classes;
  for (const auto& entry : fs::directory_iterator(root))
    if (entry.is_directory()) classes.push_back(entry.path().filename().string());
  std::sort(classes.begin(), classes.end());
  NABLA_CHECK(!classes.empty(), "ImageFolder: Couldn't find any class folder in '", root,
              "' (expected one folder per class, e.g. root/cat/1.png)");
  std::map<std::string, int64_t> class_to_idx;
  std::vector<std::pair<std::string, int64_t>> samples;
  std::string empty_classes;
  for (size_t i = 0; i < classes.size(); ++i) {
    class_to_idx[classes[i]] = static_cast<int64_t>(i);
    const auto files = class_files(fs::path(root) / classes[i], options_.extensions);
    if (files.empty()) empty_classes.append(empty_classes.empty() ? "" : ", ").append(classes[i]);
    for (const auto& f : files) samples.emplace_back(f, static_cast<int64_t>(i));
  }
  std::string extensions;
  for (const auto& e : options_.extensions) extensions.append(extensions.empty() ? "" : ", ").append(e);
  NABLA_CHECK(empty_classes.empty(), "ImageFolder: Found no valid file for the classes ", empty_classes, " in '", root,
              "'. Supported extensions are: ", extensions);
  classes_ = std::make_shared<const std::vector<std::string>>(std::move(classes));
  class_to_idx_ = std::make_shared<const std::map<std::string, int64_t>>(std::move(class_to_idx));
  samples_ = std::make_shared<const std::vector<std::pair<std::string, int64_t>>>(std::move(samples));
}

ImageFolder::Sample ImageFolder::get(int64_t index) const {
  data::detail::check_index("ImageFolder", index, size());
  const auto& [path, target] = (*samples_)[static_cast<size_t>(index)];
  Tensor image;
  try {
    image = options_.loader ? options_.loader(path) : io::read_image(path, options_.mode);
    if (options_.transform) image = options_.transform(image);
  } catch (const Error& e) {
    const std::string what = e.what();
    if (what.find(path) != std::string::npos) throw;
    throw Error("ImageFolder: '" + path + "': " + what);
  }
  return {image, target};
}

std::vector<int64_t> ImageFolder::targets() const {
  std::vector<int64_t> t;
  for (const auto& s : *samples_) t.push_back(s.second);
  return t;
}

}  // namespace nabla::datasets
