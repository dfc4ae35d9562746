// The Conv1d text classifier: spam detection on the SpamAssassin corpus by default, or any labelled
// text given as `label<TAB>text` lines. Its PyTorch twin is ../shared/reference/text_reference.py.
//
//   text_classifier train --save runs/text                 # prepares SpamAssassin, trains, checkpoints
//   text_classifier train --train a.tsv --test b.tsv --seq 256 --kernels 3,4,5
//   text_classifier eval --model runs/text/checkpoint.safetensors
//   text_classifier predict --model runs/text/checkpoint.safetensors "win a free prize now"
//   text_classifier predict --model runs/text/checkpoint.safetensors --mail < message.eml
#include <CLI/CLI.hpp>
#include <nabla/nabla.hpp>

#include <charconv>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <sstream>

#include "common/cli.hpp"
#include "common/onnx_export.hpp"
#include "common/quantize.hpp"
#include "common/report.hpp"
#include "text_classifier/corpus.hpp"
#include "text_classifier/mail.hpp"
#include "text_classifier/model.hpp"
#include "text_classifier/text.hpp"

using namespace nabla;
using namespace text_classifier;
namespace F = nabla::nn::functional;

namespace {

// A split read from a TSV file, tokenized once: each text's tokens, then (once the vocabulary is known) its token
// ids. Sample i is (the text's token ids, its label).
struct Dataset : data::Dataset<std::pair<std::vector<int64_t>, int64_t>> {
  std::vector<std::vector<std::string>> tokens;
  std::vector<std::vector<int64_t>> ids;
  std::vector<int64_t> targets;
  int64_t size() const override { return static_cast<int64_t>(targets.size()); }
  Sample get(int64_t i) const override { return {ids.at(static_cast<size_t>(i)), targets.at(static_cast<size_t>(i))}; }
  void encode(const Vocabulary& vocab) {
    ids.clear();
    for (const auto& t : tokens) ids.push_back(vocab.ids(t));
  }
};

// The DataLoader's collate for texts: the token ids padded to the batch's longest text (at most seq tokens), and
// the labels.
struct PadToLongest {
  int64_t seq;
  std::pair<Tensor, Tensor> operator()(const std::vector<Dataset::Sample>& samples) const {
    std::vector<const std::vector<int64_t>*> docs;
    std::vector<int64_t> targets;
    for (const auto& [ids, target] : samples) {
      docs.push_back(&ids);
      targets.push_back(target);
    }
    return {pad_batch(docs, seq), from_vector(targets, {static_cast<int64_t>(samples.size())})};
  }
};

Dataset tokenize_split(const std::vector<Example>& examples, const std::map<std::string, int64_t>& class_ids,
                       const std::string& path) {
  Dataset out;
  for (const auto& e : examples) {
    const auto it = class_ids.find(e.label);
    if (it == class_ids.end()) {
      std::cerr << "warning: " << path << ": label '" << e.label << "' is not among the training labels; skipped\n";
      continue;
    }
    out.tokens.push_back(tokenize(e.text));
    out.targets.push_back(it->second);
  }
  return out;
}

// The texts `rows` as a batch, trimmed to its longest text (at most seq tokens).
std::pair<Tensor, Tensor> make_batch(const Dataset& data, const std::vector<int64_t>& rows, int64_t seq) {
  std::vector<Dataset::Sample> samples;
  for (int64_t i : rows) samples.push_back(data.get(i));
  return PadToLongest{seq}(samples);
}

// The epoch orders come from their own random stream seeded with --seed, as the reference's
// torch.Generator().manual_seed(seed) does: the same permutations as PyTorch's, and the model's own
// draws (dropout) don't shift them.
class ShuffleStream {
 public:
  explicit ShuffleStream(uint64_t seed) {
    const RngState outer = get_rng_state();
    manual_seed(seed);
    state_ = get_rng_state();
    set_rng_state(outer);
  }
  std::vector<int64_t> randperm(int64_t n) {
    const RngState outer = get_rng_state();
    set_rng_state(state_);
    std::vector<int64_t> order = nabla::randperm(n).to_vector<int64_t>();
    state_ = get_rng_state();
    set_rng_state(outer);
    return order;
  }

 private:
  RngState state_;
};

// One epoch's batches: the texts in a random order, cut into batches. With bucketing, every pool of
// 50 batches is sorted by length before it is cut, and the batches are then shuffled: each batch
// holds texts of similar length, so trimming to the longest saves most of the padding.
std::vector<std::vector<int64_t>> epoch_batches(const Dataset& data, int64_t batch_size, int64_t seq, bool bucket,
                                                ShuffleStream& shuffle) {
  std::vector<int64_t> order = shuffle.randperm(data.size());
  // A batch is at most the whole data set (--batch-size may be as large as INT64_MAX: 50 of them would overflow).
  const auto size = static_cast<size_t>(std::min<int64_t>(batch_size, std::max<int64_t>(data.size(), 1)));
  if (bucket) {
    const auto length = [&](int64_t i) { return std::min<int64_t>(seq, data.ids[i].size()); };
    for (size_t begin = 0; begin < order.size(); begin += 50 * size) {
      const auto end = order.begin() + std::min(order.size(), begin + 50 * size);
      std::stable_sort(order.begin() + begin, end, [&](int64_t a, int64_t b) { return length(a) < length(b); });
    }
  }
  std::vector<std::vector<int64_t>> batches;
  for (size_t begin = 0; begin < order.size(); begin += size)
    batches.emplace_back(order.begin() + begin, order.begin() + std::min(order.size(), begin + size));
  if (bucket) {
    std::vector<std::vector<int64_t>> shuffled;
    for (int64_t i : shuffle.randperm(static_cast<int64_t>(batches.size()))) shuffled.push_back(batches[i]);
    batches = std::move(shuffled);
  }
  return batches;
}

struct Evaluation {
  double loss = 0, accuracy = 0;  // accuracy in percent
  std::vector<std::vector<int64_t>> confusion;
};

Evaluation evaluate(TextCNN& model, const Dataset& data, int64_t seq, int64_t classes, bool bf16 = false) {
  model.eval();
  NoGradGuard no_grad;
  AutocastGuard autocast(kBFloat16, bf16);
  Evaluation result;
  result.confusion.assign(classes, std::vector<int64_t>(classes, 0));
  // Texts of similar length together, so each batch is trimmed short (the results don't depend on
  // the order).
  std::vector<int64_t> order(data.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return data.ids[a].size() < data.ids[b].size(); });
  int64_t correct = 0;
  for (int64_t i = 0; i < data.size(); i += 512) {
    const std::vector<int64_t> rows(order.begin() + i, order.begin() + std::min<int64_t>(i + 512, data.size()));
    const auto [x, y] = make_batch(data, rows, seq);
    const Tensor logits = model(x);
    result.loss += F::cross_entropy(logits, y, {.reduction = Reduction::sum}).item<float>();
    const auto predicted = logits.argmax(1).to_vector<int64_t>(), truth = y.to_vector<int64_t>();
    for (size_t k = 0; k < predicted.size(); ++k) {
      ++result.confusion[truth[k]][predicted[k]];
      correct += predicted[k] == truth[k];
    }
  }
  model.train();
  const double n = std::max<double>(1.0, static_cast<double>(data.size()));
  result.loss /= n;
  result.accuracy = 100.0 * static_cast<double>(correct) / n;
  return result;
}

// Quantizes the model to int8 (calibrated on its first 1,000 training texts) and prints its test accuracy and
// speed beside float32's.
void evaluate_int8(TextCNN& model, const Dataset& train, const Dataset& test, int64_t seq, int64_t classes) {
  const auto calibrate = [&] {
    NoGradGuard no_grad;
    const int64_t n = std::min<int64_t>(1000, train.size());
    for (int64_t i = 0; i < n; i += 250) {
      std::vector<int64_t> rows(static_cast<size_t>(std::min<int64_t>(250, n - i)));
      std::iota(rows.begin(), rows.end(), i);
      model(make_batch(train, rows, seq).first);
    }
  };
  examples::report_int8(
      model, [&] { return evaluate(model, test, seq, classes).accuracy; }, calibrate, test.size(), "texts");
}

std::string join(const std::vector<std::string>& items, char separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : std::string(1, separator)) + item;
  return out;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> out;
  std::stringstream s(text);
  for (std::string item; std::getline(s, item, separator);) out.push_back(item);
  return out;
}

std::vector<int64_t> numbers(const std::string& text, const char* what) {
  std::vector<int64_t> out;
  for (const auto& item : split(text, ',')) {
    try {
      out.push_back(std::stoll(item));
    } catch (const std::exception&) {
      throw Error(std::string("--") + what + ": '" + text + "' is not a comma-separated list of integers");
    }
  }
  return out;
}

// ---- checkpoint: everything predict needs (weights, vocabulary, labels, shapes) in one file

struct Trained {
  std::unique_ptr<TextCNN> model;
  Vocabulary vocab;
  std::vector<std::string> classes;
  int64_t seq = 0;
  int epoch = 0;
};

void save_checkpoint(const std::string& path, const Trained& t, const optim::Adam& optimizer) {
  StateDict all;
  for (const auto& [key, tensor] : t.model->state_dict()) all.insert("model." + key, tensor);
  for (const auto& [key, tensor] : optimizer.state_dict()) all.insert("optimizer." + key, tensor);
  std::vector<std::string> kernels;
  for (int64_t k : t.model->options.kernel_sizes) kernels.push_back(std::to_string(k));
  save(all, path,
       {{"format", "nabla text_classifier"},
        {"epoch", std::to_string(t.epoch)},
        {"classes", join(t.classes, '\n')},
        {"vocabulary", t.vocab.to_text()},
        {"seq", std::to_string(t.seq)},
        {"embedding_dim", std::to_string(t.model->options.embedding_dim)},
        {"filters", std::to_string(t.model->options.filters)},
        {"kernel_sizes", join(kernels, ',')}});
}

// Rebuilds the model from the checkpoint's metadata and loads its weights (and the optimizer's
// state, when one is given).
Trained load_checkpoint(const std::string& path, optim::Adam* optimizer = nullptr) {
  Metadata meta;
  const StateDict all = load(path, &meta);
  for (const char* key : {"classes", "vocabulary", "seq", "embedding_dim", "filters", "kernel_sizes", "epoch"})
    NABLA_CHECK(meta.count(key), "text_classifier: '", path, "' is not a text_classifier checkpoint (no '", key,
                "' in its metadata)");
  // A number from the metadata: a whole integer >= min, or an error naming the file and the key.
  const auto integer = [&](const char* key, int64_t min) {
    const std::string& text = meta[key];
    int64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    NABLA_CHECK(error == std::errc() && end == text.data() + text.size() && value >= min, "text_classifier: '", path,
                "' is damaged: its metadata '", key, "' is '", text, "', not an integer >= ", min);
    return value;
  };
  Trained t;
  t.classes = split(meta["classes"], '\n');
  NABLA_CHECK(t.classes.size() >= 2, "text_classifier: '", path, "' is damaged: it names ", t.classes.size(),
              " classes");
  t.vocab = Vocabulary::from_text(meta["vocabulary"]);
  t.seq = integer("seq", 1);
  t.epoch = static_cast<int>(std::min<int64_t>(integer("epoch", 0), INT32_MAX));
  t.model = std::make_unique<TextCNN>(TextCNNOptions{.vocab_size = t.vocab.size(),
                                                     .embedding_dim = integer("embedding_dim", 1),
                                                     .filters = integer("filters", 1),
                                                     .kernel_sizes = numbers(meta["kernel_sizes"], "kernel_sizes"),
                                                     .classes = static_cast<int64_t>(t.classes.size())});
  StateDict model_state, optimizer_state;
  for (const auto& [key, tensor] : all) {
    if (key.rfind("model.", 0) == 0) model_state.insert(key.substr(6), tensor);
    else if (key.rfind("optimizer.", 0) == 0) optimizer_state.insert(key.substr(10), tensor);
  }
  t.model->load_state_dict(model_state);
  if (optimizer) optimizer->load_state_dict(optimizer_state);
  return t;
}

// ---- commands

struct TrainOptions {
  std::string data_dir = "data/spamassassin", train_path, test_path, save_dir, onnx_path;
  // The defaults reach 98.5% on SpamAssassin (seeds 0-2). The reference's own recipe is
  // --seq 128 --embedding 64 --kernels 5 --epochs 5 --no-bucket.
  int64_t seq = 1000, vocab = 20000, embedding = 128, filters = 128, batch_size = 64, limit = 0;
  std::string kernels = "3,4,5";
  int epochs = 10;
  double lr = 1e-3, dropout = 0.5;
  uint64_t seed = 0;
  bool bucket = true, quiet = false, bf16 = false, int8 = false;
};

int train(const TrainOptions& o) {
  std::string train_path = o.train_path, test_path = o.test_path;
  if (train_path.empty() != test_path.empty()) throw Error("train: give both --train and --test, or neither");
  if (train_path.empty()) {
    const SplitFiles files = prepare_spamassassin(o.data_dir);
    train_path = files.train;
    test_path = files.test;
  }
  std::vector<Example> train_examples = read_tsv(train_path);
  const std::vector<Example> test_examples = read_tsv(test_path);
  if (o.limit > 0 && static_cast<int64_t>(train_examples.size()) > o.limit) train_examples.resize(o.limit);
  NABLA_CHECK(!train_examples.empty(), "train: '", train_path, "' holds no examples");

  std::set<std::string> labels;
  for (const auto& e : train_examples) labels.insert(e.label);
  Trained t;
  t.classes.assign(labels.begin(), labels.end());
  std::map<std::string, int64_t> class_ids;
  for (size_t i = 0; i < t.classes.size(); ++i) class_ids[t.classes[i]] = static_cast<int64_t>(i);
  Dataset train_tokens = tokenize_split(train_examples, class_ids, train_path);
  Dataset test_set = tokenize_split(test_examples, class_ids, test_path);
  t.vocab = Vocabulary::build(train_tokens.tokens, o.vocab);
  train_tokens.encode(t.vocab);
  test_set.encode(t.vocab);
  const auto train = std::make_shared<const Dataset>(std::move(train_tokens));
  const Dataset& train_set = *train;
  t.seq = o.seq;
  std::cout << "data: " << train_set.size() << " training and " << test_set.size() << " test texts, "
            << t.classes.size() << " classes (" << join(t.classes, ',') << "), vocabulary " << t.vocab.size()
            << ", first " << o.seq << " tokens, " << get_num_threads() << " threads\n";

  manual_seed(o.seed);
  t.model = std::make_unique<TextCNN>(TextCNNOptions{.vocab_size = t.vocab.size(),
                                                     .embedding_dim = o.embedding,
                                                     .filters = o.filters,
                                                     .kernel_sizes = numbers(o.kernels, "kernels"),
                                                     .classes = static_cast<int64_t>(t.classes.size()),
                                                     .dropout = o.dropout});
  TextCNN& model = *t.model;
  optim::Adam optimizer(model.parameters(), {.lr = o.lr});
  std::cout << model << "\n";
  if (!o.save_dir.empty()) {
    std::filesystem::create_directories(o.save_dir);
    for (const char* name : {"/checkpoint.safetensors", "/metrics.csv", "/training_curve.svg"})
      check_writable_file(o.save_dir + name, "text_classifier train");  // refused now, not after an epoch
  }
  if (!o.onnx_path.empty()) check_writable_file(o.onnx_path, "text_classifier train");

  std::vector<examples::EpochMetrics> history;
  ShuffleStream shuffle(o.seed);
  // The epochs' batches as epoch_batches draws them (bucketed by length), padded by PadToLongest.
  data::DataLoader loader(
      train, {.batch_sampler = [&](int64_t) { return epoch_batches(*train, o.batch_size, o.seq, o.bucket, shuffle); }},
      PadToLongest{o.seq});
  Evaluation result;
  double elapsed = 0;  // training and evaluation, as the reference counts its seconds
  for (int epoch = 1; epoch <= o.epochs; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    auto batches = loader.epoch(epoch);
    ProgressBar bar("epoch " + std::to_string(epoch), batches.size(), o.quiet ? std::clog : std::cout,
                    o.quiet ? 1 << 30 : 10, "texts");
    double loss_sum = 0;
    int64_t seen = 0, step = 0;
    for (auto& [x, y] : batches) {
      optimizer.zero_grad();
      Tensor loss;
      {
        AutocastGuard autocast(kBFloat16, o.bf16);  // the forward only, as PyTorch recommends
        loss = F::cross_entropy(model(x), y);
      }
      loss.backward();
      optimizer.step();
      const float value = loss.item<float>();
      loss_sum += value * static_cast<double>(x.size(0));
      seen += x.size(0);
      if (!o.quiet) bar.update(++step, seen, "loss " + std::to_string(value).substr(0, 6));
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double train_loss = loss_sum / static_cast<double>(seen);
    if (!o.quiet) bar.finish("loss " + std::to_string(train_loss).substr(0, 6));
    result = evaluate(model, test_set, o.seq, static_cast<int64_t>(t.classes.size()), o.bf16);
    elapsed += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("epoch %d: train loss %.4f, test loss %.4f, test accuracy %.2f%%, %.2f s, %.0f texts/s, "
                "%.2f s elapsed\n", epoch, train_loss, result.loss, result.accuracy, seconds,
                static_cast<double>(seen) / seconds, elapsed);
    std::fflush(stdout);
    history.push_back({epoch, train_loss, result.loss, result.accuracy, seconds, static_cast<double>(seen) / seconds});
    t.epoch = epoch;
    if (!o.save_dir.empty()) {
      save_checkpoint(o.save_dir + "/checkpoint.safetensors", t, optimizer);
      examples::write_metrics_csv(o.save_dir + "/metrics.csv", history);
      examples::write_training_curve_svg(o.save_dir + "/training_curve.svg", "Conv1d text classifier (Nabla)", history);
    }
  }
  examples::export_onnx(model, make_batch(train_set, {0}, o.seq).first, o.onnx_path);  // token ids in, logits out
  if (o.int8) evaluate_int8(model, train_set, test_set, o.seq, static_cast<int64_t>(t.classes.size()));
  if (!history.empty()) std::cout << "\n" << examples::confusion_report(t.classes, result.confusion);
  if (!o.save_dir.empty())
    std::cout << "saved " << o.save_dir << "/{checkpoint.safetensors, metrics.csv, training_curve.svg}\n";
  return 0;
}

int eval(const std::string& model_path, std::string test_path, const std::string& data_dir) {
  Trained t = load_checkpoint(model_path);
  if (test_path.empty()) test_path = prepare_spamassassin(data_dir).test;
  std::map<std::string, int64_t> class_ids;
  for (size_t i = 0; i < t.classes.size(); ++i) class_ids[t.classes[i]] = static_cast<int64_t>(i);
  Dataset test_set = tokenize_split(read_tsv(test_path), class_ids, test_path);
  test_set.encode(t.vocab);
  const Evaluation result = evaluate(*t.model, test_set, t.seq, static_cast<int64_t>(t.classes.size()));
  std::printf("%s: %lld texts, test loss %.4f, test accuracy %.2f%%\n\n", test_path.c_str(),
              static_cast<long long>(test_set.size()), result.loss, result.accuracy);
  std::cout << examples::confusion_report(t.classes, result.confusion);
  return 0;
}

int predict(const std::string& model_path, std::vector<std::string> texts, bool mail, bool lines) {
  Trained t = load_checkpoint(model_path);
  if (texts.empty()) {  // stdin: one text, or one per line
    const std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    if (lines) texts = split(input, '\n');
    else texts.push_back(input);
  }
  t.model->eval();
  NoGradGuard no_grad;
  for (const auto& raw : texts) {
    const std::string text = mail ? cut_chars(mail_text(raw), 4000) : collapse_whitespace(raw);
    const std::vector<int64_t> ids = t.vocab.ids(tokenize(text));
    const Tensor probabilities = F::softmax(t.model->forward(pad_batch({&ids}, t.seq)), 1);
    const int64_t best = probabilities.argmax(1).item<int64_t>();
    std::printf("%s\t%.4f\t%s\n", t.classes[best].c_str(), probabilities.select(1, best).item<float>(),
                cut_chars(text, 80).c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Trains and runs a Conv1d text classifier (Embedding -> Conv1d -> max over time -> Linear) with Nabla."};
  app.require_subcommand(1);
  app.fallthrough();  // --threads also after the command: `train --threads 2`
  int threads = 0;
  app.add_option("--threads", threads, "threads (0: OpenMP's default)")->check(examples::kThreads);

  TrainOptions o;
  CLI::App* train_cmd = app.add_subcommand("train", "train on label<TAB>text files (default: the SpamAssassin corpus)");
  train_cmd->add_option("--data", o.data_dir, "folder for the prepared SpamAssassin corpus")->capture_default_str();
  train_cmd->add_option("--train", o.train_path, "training file of label<TAB>text lines (with --test)");
  train_cmd->add_option("--test", o.test_path, "test file of label<TAB>text lines (with --train)");
  train_cmd->add_option("--save", o.save_dir, "folder for checkpoint.safetensors, metrics.csv and training_curve.svg");
  examples::add_export_onnx_option(*train_cmd, o.onnx_path);
  const CLI::Range width(1, 1 << 20);  // sizes of the model: a typo of a few digits, not an allocation of terabytes
  train_cmd->add_option("--seq", o.seq, "tokens read from each text")->capture_default_str()->check(width);
  train_cmd->add_option("--vocab", o.vocab, "vocabulary size, including pad and unknown")
      ->capture_default_str()
      ->check(CLI::Range(2, 1 << 24));
  train_cmd->add_option("--embedding", o.embedding, "embedding size")->capture_default_str()->check(width);
  train_cmd->add_option("--filters", o.filters, "conv filters per kernel size")->capture_default_str()->check(width);
  train_cmd->add_option("--kernels", o.kernels, "kernel sizes, comma-separated (several run in parallel)")
      ->capture_default_str();
  train_cmd->add_option("--epochs", o.epochs, "epochs")->capture_default_str()->check(examples::kEpochs);
  train_cmd->add_option("--batch-size", o.batch_size, "batch size")->capture_default_str()->check(CLI::PositiveNumber);
  train_cmd->add_option("--lr", o.lr, "Adam learning rate")->capture_default_str()->check(CLI::NonNegativeNumber);
  train_cmd->add_option("--dropout", o.dropout, "dropout before the classifier")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  train_cmd->add_option("--seed", o.seed, "seed for the initial weights, dropout and shuffling")->capture_default_str();
  train_cmd->add_option("--limit", o.limit, "train on the first N texts only (smoke tests)")
      ->check(CLI::NonNegativeNumber);
  train_cmd->add_flag("--bucket,!--no-bucket", o.bucket,
                      "batch texts of similar length together (less padding, faster; the default)");
  train_cmd->add_flag("--quiet", o.quiet, "no progress bar");
  train_cmd->add_flag("--int8", o.int8,
                      "after training, quantize to int8 (calibrated on 1,000 training texts) and evaluate beside "
                      "float32: accuracy and speed");
  train_cmd->add_flag("--bf16", o.bf16,
                      "bfloat16 autocast (convs and linears in bfloat16, where this CPU runs it "
                      "faster)");

  std::string model_path, test_path, data_dir = "data/spamassassin";
  CLI::App* eval_cmd = app.add_subcommand("eval", "accuracy and confusion matrix of a checkpoint on a test file");
  eval_cmd->add_option("--model", model_path, "checkpoint written by train")->required();
  eval_cmd->add_option("--test", test_path, "label<TAB>text file (default: the SpamAssassin test split)");
  eval_cmd->add_option("--data", data_dir, "folder of the prepared SpamAssassin corpus")->capture_default_str();

  std::vector<std::string> texts;
  bool mail = false, lines = false;
  CLI::App* predict_cmd = app.add_subcommand("predict", "label and probability for each text (arguments, or stdin)");
  predict_cmd->add_option("--model", model_path, "checkpoint written by train")->required();
  predict_cmd->add_option("texts", texts, "texts to classify; none: read stdin");
  predict_cmd->add_flag("--mail", mail, "the input is a raw mail (RFC 822): classify its Subject and decoded body");
  predict_cmd->add_flag("--lines", lines, "stdin holds one text per line");
  CLI11_PARSE(app, argc, argv);

  try {
    if (threads > 0) set_num_threads(threads);
    if (*train_cmd) return train(o);
    if (*eval_cmd) return eval(model_path, test_path, data_dir);
    return predict(model_path, texts, mail, lines);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
