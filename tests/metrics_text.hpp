#pragma once
// A strict reader of Prometheus's text format (version 0.0.4) for the /metrics tests: what a
// scraper would choke on, or quietly misread, is an error naming the line. Written here
// rather than with prometheus-cpp (which only writes the format), so the page is checked by
// code that did not make it.
//
// Checked: HELP/TYPE lines (one TYPE per family, before its samples), metric and label names,
// quoted label values and their escapes, numeric values, no sample twice, a family's samples
// together, counters named *_total and never negative, and for histograms _bucket/_sum/_count
// with cumulative buckets ending at le="+Inf" equal to _count.
//
// Error style: exceptions (std::runtime_error) for a malformed page.

#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace zpipe::test {

using Labels = std::map<std::string, std::string>;

struct MetricsPage {
  std::map<std::string, std::string> types;  // family -> counter, gauge, histogram, ...
  std::map<std::pair<std::string, Labels>, double> samples;

  // The sample `name` with exactly `labels`; nullopt if the page has none.
  std::optional<double> value(const std::string& name, const Labels& labels) const {
    const auto it = samples.find({name, labels});
    if (it == samples.end()) return std::nullopt;
    return it->second;
  }
};

namespace metrics_text_detail {

inline bool name_char(char c, bool first, bool colon) {
  const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
  return letter || (!first && c >= '0' && c <= '9');
}

inline std::string read_name(const std::string& line, std::size_t& at, bool colon) {
  const std::size_t start = at;
  while (at < line.size() && name_char(line[at], at == start, colon)) ++at;
  return line.substr(start, at - start);
}

inline double read_value(const std::string& text) {
  if (text == "+Inf") return INFINITY;
  if (text == "-Inf") return -INFINITY;
  if (text == "NaN") return NAN;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || text.find_first_of("xXpP") != std::string::npos)
    throw std::runtime_error("not a number: '" + text + "'");
  return v;
}

// {a="x",b="y"} at line[at] (after the metric name), escapes \\ \" \n.
inline Labels read_labels(const std::string& line, std::size_t& at) {
  Labels labels;
  if (at >= line.size() || line[at] != '{') return labels;
  ++at;
  while (at < line.size() && line[at] != '}') {
    const std::string name = read_name(line, at, false);
    if (name.empty() || at + 1 >= line.size() || line[at] != '=' || line[at + 1] != '"')
      throw std::runtime_error("bad label");
    at += 2;
    std::string value;
    for (;; ++at) {
      if (at >= line.size()) throw std::runtime_error("unterminated label value");
      if (line[at] == '"') break;
      if (line[at] == '\\') {
        if (++at >= line.size()) throw std::runtime_error("bad escape");
        const char c = line[at];
        if (c != '\\' && c != '"' && c != 'n') throw std::runtime_error("bad escape");
        value += c == 'n' ? '\n' : c;
      } else {
        value += line[at];
      }
    }
    ++at;
    if (!labels.emplace(name, value).second) throw std::runtime_error("label twice: " + name);
    if (at < line.size() && line[at] == ',') ++at;
    else if (at >= line.size() || line[at] != '}') throw std::runtime_error("expected , or }");
  }
  if (at >= line.size()) throw std::runtime_error("unterminated labels");
  ++at;
  return labels;
}

// The family a sample belongs to: a histogram's name_bucket, name_sum, name_count are name's.
inline std::string family_of(const std::string& name, const std::map<std::string, std::string>& types) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    const std::string s = suffix;
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
      const std::string base = name.substr(0, name.size() - s.size());
      const auto it = types.find(base);
      if (it != types.end() && it->second == "histogram") return base;
    }
  }
  return name;
}

inline void check_histograms(const MetricsPage& page) {
  for (const auto& [family, type] : page.types) {
    if (type != "histogram") continue;
    std::map<Labels, std::map<double, double>> buckets;  // labels without le -> le -> count
    for (const auto& [key, v] : page.samples) {
      if (key.first != family + "_bucket") continue;
      Labels rest = key.second;
      const auto le = rest.find("le");
      if (le == rest.end()) throw std::runtime_error(family + "_bucket without le");
      const double bound = read_value(le->second);
      rest.erase(le);
      buckets[rest][bound] = v;
    }
    for (const auto& [labels, by_bound] : buckets) {
      double last = 0;
      for (const auto& [bound, count] : by_bound) {
        if (count < last) throw std::runtime_error(family + ": buckets not cumulative");
        last = count;
      }
      const auto count = page.value(family + "_count", labels);
      if (!page.value(family + "_sum", labels) || !count) throw std::runtime_error(family + ": no _sum or _count");
      if (by_bound.rbegin()->first != INFINITY || by_bound.rbegin()->second != *count)
        throw std::runtime_error(family + ": the +Inf bucket is not _count");
    }
  }
}

}  // namespace metrics_text_detail

// Throws std::runtime_error naming the first bad line.
inline MetricsPage parse_metrics(const std::string& text) {
  using namespace metrics_text_detail;
  static const std::set<std::string> kTypes{"counter", "gauge", "histogram", "summary", "untyped"};
  if (!text.empty() && text.back() != '\n') throw std::runtime_error("the page does not end with a newline");
  MetricsPage page;
  std::set<std::string> ended;  // families whose samples are over
  std::string current;
  std::istringstream in(text);
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    try {
      if (line.empty()) continue;
      if (line[0] == '#') {
        std::istringstream words(line.substr(1));
        std::string keyword, name, rest;
        words >> keyword >> name;
        if (keyword != "HELP" && keyword != "TYPE") continue;  // a comment
        std::size_t at = 0;
        if (read_name(name, at, true) != name || name.empty()) throw std::runtime_error("bad metric name");
        if (keyword == "TYPE") {
          words >> rest;
          if (!kTypes.contains(rest)) throw std::runtime_error("unknown type " + rest);
          if (!page.types.emplace(name, rest).second) throw std::runtime_error("TYPE twice");
          if (ended.contains(name) || name == current) throw std::runtime_error("TYPE after samples");
        }
        continue;
      }
      std::size_t at = 0;
      const std::string name = read_name(line, at, true);
      if (name.empty()) throw std::runtime_error("bad metric name");
      const Labels labels = read_labels(line, at);
      if (at >= line.size() || line[at] != ' ') throw std::runtime_error("no value");
      std::istringstream fields(line.substr(at + 1));
      std::string value, timestamp, extra;
      fields >> value >> timestamp >> extra;
      if (!extra.empty() || (!timestamp.empty() && timestamp.find_first_not_of("-0123456789") != std::string::npos))
        throw std::runtime_error("trailing text");
      const double v = read_value(value);
      const std::string family = family_of(name, page.types);
      if (family != current) {
        if (ended.contains(family)) throw std::runtime_error("family " + family + " split");
        if (!current.empty()) ended.insert(current);
        current = family;
      }
      const auto type = page.types.find(family);
      if (type == page.types.end()) throw std::runtime_error("a sample without a TYPE");
      if (type->second == "counter") {
        if (name.size() < 6 || name.compare(name.size() - 6, 6, "_total") != 0)
          throw std::runtime_error("a counter not named *_total");
        if (!(v >= 0)) throw std::runtime_error("a negative counter");
      }
      if (!page.samples.emplace(std::pair{name, labels}, v).second) throw std::runtime_error("sample twice");
    } catch (const std::runtime_error& e) {
      throw std::runtime_error("line " + std::to_string(number) + ": " + e.what() + ": " + line);
    }
  }
  check_histograms(page);
  return page;
}

}  // namespace zpipe::test
