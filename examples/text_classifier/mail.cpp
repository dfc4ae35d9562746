#include "text_classifier/mail.hpp"

#include <gmime/gmime.h>
#include <iconv.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace text_classifier {
namespace {

// ---- UTF-8

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

constexpr char32_t kReplacement = 0xFFFD;

// Decodes one code point at s[i], advancing i; an invalid byte becomes U+FFFD (Python's "replace").
char32_t next_code_point(std::string_view s, size_t& i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b = byte(i);
  int length = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
  if (length == 0 || i + length > s.size()) {
    ++i;
    return length == 1 ? b : kReplacement;
  }
  char32_t c = length == 1 ? b : b & (0x3F >> (length - 1));
  for (int k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) {
      ++i;
      return kReplacement;
    }
    c = (c << 6) | (byte(i + k) & 0x3F);
  }
  i += length;
  const bool overlong = (length == 2 && c < 0x80) || (length == 3 && c < 0x800) || (length == 4 && c < 0x10000);
  return overlong || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF) ? kReplacement : c;
}

// What Python's str.isspace() (and so \s) accepts.
bool is_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

// ---- charsets

// Bytes in `charset` to UTF-8; undecodable bytes become U+FFFD, an unknown charset is read as
// Latin-1, as the reference does.
std::string to_utf8(const std::string& bytes, std::string charset) {
  std::transform(charset.begin(), charset.end(), charset.begin(), [](unsigned char c) { return std::tolower(c); });
  std::string out;
  if (charset == "utf-8" || charset == "utf8") {
    for (size_t i = 0; i < bytes.size();) append_utf8(out, next_code_point(bytes, i));
    return out;
  }
  if (charset == "us-ascii" || charset == "ascii") {  // GMime's iconv would read it as Latin-1
    for (unsigned char c : bytes) append_utf8(out, c < 0x80 ? c : kReplacement);
    return out;
  }
  iconv_t cd = charset.empty() ? reinterpret_cast<iconv_t>(-1) : g_mime_iconv_open("UTF-8", charset.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    for (unsigned char c : bytes) append_utf8(out, c);  // Latin-1
    return out;
  }
  std::vector<char> buffer(bytes.size() * 4 + 16);
  char* in = const_cast<char*>(bytes.data());
  size_t in_left = bytes.size();
  while (in_left > 0) {
    char* dst = buffer.data();
    size_t dst_left = buffer.size();
    const size_t rc = iconv(cd, &in, &in_left, &dst, &dst_left);
    out.append(buffer.data(), dst - buffer.data());
    if (rc == static_cast<size_t>(-1) && errno != E2BIG) {  // an invalid or truncated sequence
      append_utf8(out, kReplacement);
      ++in;
      --in_left;
    }
  }
  g_mime_iconv_close(cd);
  return out;
}

// ---- HTML

bool starts_with_ci(std::string_view s, size_t at, std::string_view word) {
  if (at + word.size() > s.size()) return false;
  for (size_t k = 0; k < word.size(); ++k)
    if (std::tolower(static_cast<unsigned char>(s[at + k])) != word[k]) return false;
  return true;
}

size_t find_ci(std::string_view s, std::string_view word, size_t from) {
  for (size_t at = from; at + word.size() <= s.size(); ++at)
    if (starts_with_ci(s, at, word)) return at;
  return std::string_view::npos;
}

// HTML 4's Latin-1 entity names, U+00A0 to U+00FF in order; HTML accepts these without a semicolon.
constexpr std::string_view kLatin1Names[96] = {
    "nbsp",   "iexcl",  "cent",   "pound",  "curren", "yen",    "brvbar", "sect",   "uml",    "copy",   "ordf",
    "laquo",  "not",    "shy",    "reg",    "macr",   "deg",    "plusmn", "sup2",   "sup3",   "acute",  "micro",
    "para",   "middot", "cedil",  "sup1",   "ordm",   "raquo",  "frac14", "frac12", "frac34", "iquest", "Agrave",
    "Aacute", "Acirc",  "Atilde", "Auml",   "Aring",  "AElig",  "Ccedil", "Egrave", "Eacute", "Ecirc",  "Euml",
    "Igrave", "Iacute", "Icirc",  "Iuml",   "ETH",    "Ntilde", "Ograve", "Oacute", "Ocirc",  "Otilde", "Ouml",
    "times",  "Oslash", "Ugrave", "Uacute", "Ucirc",  "Uuml",   "Yacute", "THORN",  "szlig",  "agrave", "aacute",
    "acirc",  "atilde", "auml",   "aring",  "aelig",  "ccedil", "egrave", "eacute", "ecirc",  "euml",   "igrave",
    "iacute", "icirc",  "iuml",   "eth",    "ntilde", "ograve", "oacute", "ocirc",  "otilde", "ouml",   "divide",
    "oslash", "ugrave", "uacute", "ucirc",  "uuml",   "yacute", "thorn",  "yuml"};

const std::unordered_map<std::string_view, char32_t>& named_entities() {
  static const std::unordered_map<std::string_view, char32_t> table = [] {
    std::unordered_map<std::string_view, char32_t> t = {
        {"amp", '&'},       {"lt", '<'},        {"gt", '>'},        {"quot", '"'},      {"apos", '\''},
        {"AMP", '&'},       {"LT", '<'},        {"GT", '>'},        {"QUOT", '"'},
        {"trade", 0x2122},  {"hellip", 0x2026}, {"mdash", 0x2014},  {"ndash", 0x2013},  {"lsquo", 0x2018},
        {"rsquo", 0x2019},  {"ldquo", 0x201C},  {"rdquo", 0x201D},  {"sbquo", 0x201A},  {"bdquo", 0x201E},
        {"bull", 0x2022},   {"euro", 0x20AC},   {"dagger", 0x2020}, {"Dagger", 0x2021}, {"permil", 0x2030},
        {"lsaquo", 0x2039}, {"rsaquo", 0x203A}, {"equiv", 0x2261},  {"ne", 0x2260},     {"le", 0x2264},
        {"ge", 0x2265},     {"infin", 0x221E},  {"larr", 0x2190},   {"rarr", 0x2192},   {"uarr", 0x2191},
        {"darr", 0x2193},   {"harr", 0x2194},   {"hearts", 0x2665}, {"spades", 0x2660}, {"clubs", 0x2663},
        {"diams", 0x2666},  {"ensp", 0x2002},   {"emsp", 0x2003},   {"thinsp", 0x2009}, {"zwnj", 0x200C},
        {"zwj", 0x200D},    {"lrm", 0x200E},    {"rlm", 0x200F},    {"OElig", 0x152},   {"oelig", 0x153},
        {"Scaron", 0x160},  {"scaron", 0x161},  {"Yuml", 0x178},    {"fnof", 0x192},    {"circ", 0x2C6},
        {"tilde", 0x2DC},   {"prime", 0x2032},  {"Prime", 0x2033},  {"oline", 0x203E},  {"frasl", 0x2044},
        {"minus", 0x2212},  {"lowast", 0x2217}, {"radic", 0x221A},  {"asymp", 0x2248},  {"sum", 0x2211},
        {"alpha", 0x3B1},   {"beta", 0x3B2},    {"gamma", 0x3B3},   {"delta", 0x3B4},   {"pi", 0x3C0},
        {"mu", 0x3BC},      {"sigma", 0x3C3},   {"omega", 0x3C9},   {"loz", 0x25CA}};
    for (char32_t c = 0; c < 96; ++c) t.emplace(kLatin1Names[c], 0xA0 + c);
    return t;
  }();
  return table;
}

// Python's html.unescape for numeric references: 0x80-0x9F are read as Windows-1252 (as browsers
// do), NUL and out-of-range values become U+FFFD, control characters are dropped.
void append_char_ref(std::string& out, unsigned long value) {
  static const char32_t cp1252[32] = {0x20AC, 0x81,   0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                                      0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D,   0x017D, 0x8F,
                                      0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                      0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D,   0x017E, 0x0178};
  if (value >= 0x80 && value <= 0x9F) {
    const char32_t c = cp1252[value - 0x80];
    if (c >= 0x100) append_utf8(out, c);  // the five unassigned ones are dropped, as control characters
    return;
  }
  if (value == 0 || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return append_utf8(out, kReplacement);
  if (value == 0x0D) return append_utf8(out, '\r');
  const bool control = (value >= 0x1 && value <= 0x8) || value == 0xB || (value >= 0xE && value <= 0x1F) ||
                       value == 0x7F || (value >= 0xFDD0 && value <= 0xFDEF) || (value & 0xFFFE) == 0xFFFE;
  if (!control) append_utf8(out, static_cast<char32_t>(value));
}

// The legacy names HTML accepts without a semicolon.
bool legacy_name(std::string_view name) {
  static const std::string_view ascii[] = {"amp", "lt", "gt", "quot", "AMP", "LT", "GT", "QUOT"};
  return std::find(std::begin(ascii), std::end(ascii), name) != std::end(ascii) ||
         std::find(std::begin(kLatin1Names), std::end(kLatin1Names), name) != std::end(kLatin1Names);
}

std::string decode_entities(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    if (s[i] != '&') {
      out += s[i++];
      continue;
    }
    if (i + 1 < s.size() && s[i + 1] == '#') {  // &#123; &#x7B; (the semicolon is optional)
      const bool hex = i + 2 < s.size() && (s[i + 2] == 'x' || s[i + 2] == 'X');
      size_t end = i + (hex ? 3 : 2);
      while (end < s.size() && (hex ? std::isxdigit(static_cast<unsigned char>(s[end]))
                                    : std::isdigit(static_cast<unsigned char>(s[end]))))
        ++end;
      const std::string digits(s.substr(i + (hex ? 3 : 2), end - i - (hex ? 3 : 2)));
      if (!digits.empty()) {
        const unsigned long value = digits.size() > 8 ? 0x110000 : std::stoul(digits, nullptr, hex ? 16 : 10);
        append_char_ref(out, value);
        i = end + (end < s.size() && s[end] == ';');
        continue;
      }
    } else {
      size_t end = i + 1;
      while (end < s.size() && end - i <= 32 && !std::strchr("\t\n\f <&#;", s[end])) ++end;
      const std::string_view name = s.substr(i + 1, end - i - 1);
      const auto& table = named_entities();
      if (end < s.size() && s[end] == ';' && table.count(name)) {
        append_utf8(out, table.at(name));
        i = end + 1;
        continue;
      }
      bool replaced = false;  // the longest legacy name the text starts with, without a semicolon
      for (size_t len = name.size(); len >= 2 && !replaced; --len) {
        if (!legacy_name(name.substr(0, len))) continue;
        append_utf8(out, table.at(name.substr(0, len)));
        i += 1 + len;
        replaced = true;
      }
      if (replaced) continue;
    }
    out += s[i++];
  }
  return out;
}

// ---- MIME

void collect_text_part(GMimeObject*, GMimeObject* part, gpointer data) {
  if (GMIME_IS_MESSAGE_PART(part)) {  // a forwarded mail: its parts count too, as in Python's walk()
    if (GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(part)))
      g_mime_message_foreach(inner, collect_text_part, data);
    return;
  }
  if (!GMIME_IS_PART(part)) return;
  GMimeContentType* type = g_mime_object_get_content_type(part);
  const bool plain = g_mime_content_type_is_type(type, "text", "plain");
  const bool html = g_mime_content_type_is_type(type, "text", "html");
  if (!plain && !html) return;
  GMimeDataWrapper* content = g_mime_part_get_content(GMIME_PART(part));
  if (content == nullptr) return;
  GMimeStream* decoded = g_mime_stream_mem_new();
  g_mime_data_wrapper_write_to_stream(content, decoded);  // undoes base64 / quoted-printable / uuencode
  GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(decoded));
  const char* charset = g_mime_content_type_get_parameter(type, "charset");
  std::string text =
      to_utf8(std::string(reinterpret_cast<const char*>(bytes->data), bytes->len), charset ? charset : "");
  g_object_unref(decoded);
  std::string& body = *static_cast<std::string*>(data);  // the body collected so far
  if (!body.empty()) body += '\n';
  body += html ? strip_html(text) : text;
}

// The decoded Subject. A raw subject holding 8-bit bytes (no RFC 2047 encoding) has no declared
// charset: the reference (Python's email package) turns each such byte into U+FFFD, and so do we.
std::string decoded_subject(GMimeMessage* message) {
  GMimeHeader* header = g_mime_header_list_get_header(g_mime_object_get_header_list(GMIME_OBJECT(message)), "Subject");
  const char* raw = header ? g_mime_header_get_raw_value(header) : nullptr;
  if (raw == nullptr) return "";
  const std::string_view value(raw);
  if (std::any_of(value.begin(), value.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) {
    std::string out;
    for (unsigned char c : value) append_utf8(out, c < 0x80 ? c : kReplacement);
    return out;
  }
  const char* decoded = g_mime_message_get_subject(message);
  return decoded ? decoded : "";
}

}  // namespace

std::string collapse_whitespace(std::string_view utf8) {
  std::string out;
  bool pending_space = false;
  for (size_t i = 0; i < utf8.size();) {
    const char32_t c = next_code_point(utf8, i);
    if (is_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    append_utf8(out, c);
  }
  return out;
}

std::string cut_chars(std::string_view utf8, size_t max_chars) {
  size_t i = 0;
  for (size_t n = 0; n < max_chars && i < utf8.size(); ++n) next_code_point(utf8, i);
  return std::string(utf8.substr(0, i));
}

std::string strip_html(std::string_view html) {
  // The reference's regex: <(script|style)[^>]*>.*?</\1> | <[^>]+>, each replaced by a space.
  std::string out;
  for (size_t i = 0; i < html.size();) {
    if (html[i] != '<') {
      out += html[i++];
      continue;
    }
    bool removed = false;
    for (std::string_view element : {"script", "style"}) {
      if (!starts_with_ci(html, i + 1, element)) continue;
      const size_t open_end = html.find('>', i + 1);
      const std::string closing = "</" + std::string(element) + ">";
      const size_t close = open_end == std::string_view::npos ? open_end : find_ci(html, closing, open_end + 1);
      if (close != std::string_view::npos) {
        out += ' ';
        i = close + closing.size();
        removed = true;
      }
      break;
    }
    if (removed) continue;
    const size_t end = html.find('>', i + 1);
    if (end != std::string_view::npos && end > i + 1) {
      out += ' ';
      i = end + 1;
    } else {
      out += html[i++];
    }
  }
  return decode_entities(out);
}

std::string mail_text(std::string_view raw) {
  static std::once_flag init;
  std::call_once(init, [] { g_mime_init(); });
  GMimeStream* stream = g_mime_stream_mem_new_with_buffer(raw.data(), raw.size());
  GMimeParser* parser = g_mime_parser_new_with_stream(stream);
  GMimeMessage* message = g_mime_parser_construct_message(parser, nullptr);
  std::string subject;
  std::string body;
  if (message != nullptr) {
    subject = decoded_subject(message);
    g_mime_message_foreach(message, collect_text_part, &body);
    g_object_unref(message);
  }
  g_object_unref(parser);
  g_object_unref(stream);
  return collapse_whitespace(collapse_whitespace(subject) + " . " + body);
}

}  // namespace text_classifier
