// Argument lists from several input sources, as GNU parallel builds them:
//  - all combinations (the cartesian product), the first source varying slowest:
//    `::: a b ::: 1 2` gives (a,1) (a,2) (b,1) (b,2);
//  - or with --link the i-th value of each, a shorter source starting over (wrapping):
//    `::: a b c ::: 1 2` gives (a,1) (b,2) (c,1);
//  - --colsep splits each value into columns, which become its arguments;
//  - -n N puts N such combinations in one task, their arguments one after the other.
// No reread(): the inputs of earlier tasks are not kept, so tasks a mended journal lost
// cannot be rebuilt (the ventilator halts and says why, as for a pipe).
// Memory: the first source is streamed for the product (only the others are held, as each
// of their values is used again and again); --link holds every source, since the shorter
// ones wrap and the longest decides the count.

#include <algorithm>
#include <iterator>
#include <optional>
#include <regex>
#include <stdexcept>
#include <vector>

#include "input_sources.hpp"

namespace zpipe::ventilator {
namespace {

using Values = std::vector<std::string>;

std::unique_ptr<TaskSource> open_input(const config::InputSource& input) {
  if (const auto* lines = std::get_if<config::LinesSource>(&input)) return open_lines(*lines);
  return open_items(std::get<config::ItemsSource>(input));
}

// Splits `value` at each match of `separator` (empty fields kept, as parallel keeps them).
Values split_columns(const std::string& value, const std::regex& separator) {
  Values columns;
  auto from = value.cbegin();
  std::smatch match;
  while (from != value.cend() && std::regex_search(from, value.cend(), match, separator) && match.length(0) > 0) {
    columns.emplace_back(from, match[0].first);
    from = match[0].second;
  }
  columns.emplace_back(from, value.cend());
  return columns;
}

class ArgsSource final : public TaskSource {
public:
  explicit ArgsSource(const config::ArgsSource& spec) : link_(spec.link), max_args_(std::max(1u, spec.max_args)) {
    if (spec.inputs.empty()) throw std::invalid_argument("an argument-list source needs an input source");
    for (const config::InputSource& input : spec.inputs) inputs_.push_back(open_input(input));
    held_.resize(inputs_.size());
    held_ended_.assign(inputs_.size(), false);
    if (!spec.colsep.empty()) colsep_.emplace(spec.colsep, std::regex::ECMAScript);
  }

  Next next() override {
    while (pending_count_ < max_args_) {
      Next one = next_combination();
      if (one.kind == Next::Kind::later) return one;  // what -n took so far waits in pending_
      if (one.kind == Next::Kind::end) break;
      pending_.insert(pending_.end(), std::make_move_iterator(one.args.begin()), std::make_move_iterator(one.args.end()));
      ++pending_count_;
    }
    if (pending_.empty()) return {};
    Next task{Next::Kind::input, {}, std::move(pending_)};
    pending_.clear();
    pending_count_ = 0;
    return task;
  }

  int wait_fd() const override { return waiting_on_ ? (*waiting_on_)->wait_fd() : -1; }

private:
  // The next combination's arguments (columns split), or later/end.
  Next next_combination() {
    Next one = link_ ? next_linked() : next_product();
    if (one.kind != Next::Kind::input || !colsep_) return one;
    Values columns;
    for (const std::string& value : one.args) {
      Values split = split_columns(value, *colsep_);
      columns.insert(columns.end(), std::make_move_iterator(split.begin()), std::make_move_iterator(split.end()));
    }
    one.args = std::move(columns);
    return one;
  }

  // Reads inputs [from, inputs_.size()) to their end into held_; false while one must wait.
  bool hold_all(std::size_t from) {
    for (std::size_t i = from; i < inputs_.size(); ++i) {
      while (!held_ended_[i]) {
        Next value = inputs_[i]->next();
        if (value.kind == Next::Kind::later) {
          waiting_on_ = &inputs_[i];
          return false;
        }
        if (value.kind == Next::Kind::end) {
          held_ended_[i] = true;
        } else {
          held_[i].push_back(std::move(value.input));
        }
      }
    }
    waiting_on_ = nullptr;
    return true;
  }

  Next next_product() {
    if (!hold_all(1)) return {Next::Kind::later, {}, {}};
    for (std::size_t i = 1; i < held_.size(); ++i)
      if (held_[i].empty()) return {};  // a product with an empty factor is empty
    if (odometer_.empty() || advance_odometer()) {
      // The first source moves on: its next value starts a new round of the others'.
      Next first = inputs_[0]->next();
      if (first.kind == Next::Kind::later) waiting_on_ = &inputs_[0];
      if (first.kind != Next::Kind::input) {
        if (!odometer_.empty()) rewind_odometer();  // asked again, the round starts again
        return first;
      }
      first_ = std::move(first.input);
      odometer_.assign(held_.size(), 0);
    }
    Values args{first_};
    for (std::size_t i = 1; i < held_.size(); ++i) args.push_back(held_[i][odometer_[i]]);
    return {Next::Kind::input, {}, std::move(args)};
  }

  // Steps the held sources' positions, the last fastest; true when they all wrapped.
  bool advance_odometer() {
    for (std::size_t i = held_.size(); i-- > 1;) {
      if (++odometer_[i] < held_[i].size()) return false;
      odometer_[i] = 0;
    }
    return true;
  }
  // Puts the positions back on the last combination given, so the next call advances again.
  void rewind_odometer() {
    for (std::size_t i = 1; i < held_.size(); ++i) odometer_[i] = held_[i].size() - 1;
  }

  Next next_linked() {
    if (!hold_all(0)) return {Next::Kind::later, {}, {}};
    std::size_t longest = 0;
    for (const Values& values : held_) {
      if (values.empty()) return {};  // nothing to pair with
      longest = std::max(longest, values.size());
    }
    if (linked_ >= longest) return {};
    Values args;
    for (const Values& values : held_) args.push_back(values[linked_ % values.size()]);
    ++linked_;
    return {Next::Kind::input, {}, std::move(args)};
  }

  bool link_;
  std::uint32_t max_args_;
  std::optional<std::regex> colsep_;
  std::vector<std::unique_ptr<TaskSource>> inputs_;
  std::vector<Values> held_;       // product: sources 1.. ; link: all
  std::vector<bool> held_ended_;
  const std::unique_ptr<TaskSource>* waiting_on_ = nullptr;  // the input that said `later`
  std::string first_;              // product: the first source's current value
  std::vector<std::size_t> odometer_;  // product: position in each held source (index 0 unused)
  std::size_t linked_ = 0;         // link: combinations given
  Values pending_;                 // -n: the arguments of the task being filled
  std::uint32_t pending_count_ = 0;  // -n: combinations in pending_
};

}  // namespace

std::unique_ptr<TaskSource> open_args(const config::ArgsSource& args) { return std::make_unique<ArgsSource>(args); }

}  // namespace zpipe::ventilator
