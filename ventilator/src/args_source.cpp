// Argument lists from several input sources, as GNU parallel builds them:
//  - all combinations (the cartesian product), the first source varying slowest:
//    `::: a b ::: 1 2` gives (a,1) (a,2) (b,1) (b,2);
//  - or with --link the i-th value of each, a shorter source starting over (wrapping):
//    `::: a b c ::: 1 2` gives (a,1) (b,2) (c,1);
//  - a source given with :::+ or ::::+ is paired with the one before it, the shorter ending
//    the pairs: the product is then of these groups (`::: a b :::+ 1 2 ::: X Y` gives
//    (a,1,X) (a,1,Y) (b,2,X) (b,2,Y));
//  - --colsep splits each value into columns, which become its arguments;
//  - -n N puts N such combinations in one task, their arguments one after the other;
//  - -X / -m put as many as fit on one command line (config::LineFill), and when the input
//    ends within a task, share that task's combinations over the job slots.
// No reread(): the inputs of earlier tasks are not kept, so tasks a mended journal lost
// cannot be rebuilt (the ventilator halts and says why, as for a pipe).
// Memory: the first group is streamed for the product (only the others are held, as each
// of their values is used again and again); --link holds every source, since the shorter
// ones wrap and the longest decides the count.

#include <algorithm>
#include <deque>
#include <iterator>
#include <optional>
#include <regex>
#include <stdexcept>
#include <vector>

#include "input_sources.hpp"

namespace zpipe::ventilator {
namespace {

using Values = std::vector<std::string>;

// An input source whose first input is not one (zpipe run --header read it as the header).
class SkipFirst final : public TaskSource {
public:
  explicit SkipFirst(std::unique_ptr<TaskSource> inputs) : inputs_(std::move(inputs)) {}
  Next next() override {
    Next value = inputs_->next();
    if (skipped_ || value.kind != Next::Kind::input) return value;
    skipped_ = true;
    return next();
  }
  int wait_fd() const override { return inputs_->wait_fd(); }

private:
  std::unique_ptr<TaskSource> inputs_;
  bool skipped_ = false;
};

std::unique_ptr<TaskSource> open_input(const config::InputSource& input) {
  if (const auto* lines = std::get_if<config::LinesSource>(&input)) {
    if (lines->skip_first) return std::make_unique<SkipFirst>(open_lines(*lines));
    return open_lines(*lines);
  }
  return open_items(std::get<config::ItemsSource>(input));
}

// --trim: white space as Perl's \s (GNU parallel trims with s/^\s+// and s/\s+$//).
void trim(std::string& value, bool left, bool right) {
  constexpr std::string_view kWhite = " \t\n\v\f\r";
  if (right) value.erase(std::min(value.size(), value.find_last_not_of(kWhite) + 1));
  if (left) value.erase(0, std::min(value.size(), value.find_first_not_of(kWhite)));
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

// The bytes `value` takes on a shell command line: what the worker's shell_quote_if_needed
// makes of it (single quotes around it when a byte is special to the shell, '\'' for a quote).
std::uint64_t quoted_size(std::string_view value) {
  const auto safe = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("_@%+=:,./-").find(c) != std::string_view::npos;
  };
  if (!value.empty() && std::all_of(value.begin(), value.end(), safe)) return value.size();
  return value.size() + 2 + 3 * static_cast<std::uint64_t>(std::count(value.begin(), value.end(), '\''));
}

class ArgsSource final : public TaskSource {
public:
  explicit ArgsSource(const config::ArgsSource& spec)
      : link_(spec.link),
        trim_left_(spec.trim_left),
        trim_right_(spec.trim_right),
        max_args_(std::max(1u, spec.max_args)),
        fill_(spec.fill) {
    if (spec.inputs.empty()) throw std::invalid_argument("an argument-list source needs an input source");
    for (const config::InputSource& input : spec.inputs) inputs_.push_back(open_input(input));
    for (std::size_t i = 0; i < inputs_.size(); ++i) {
      const bool linked = i > 0 && i < spec.linked_to_previous.size() && spec.linked_to_previous[i];
      if (!linked) groups_.push_back(i);
    }
    held_.resize(inputs_.size());
    held_ended_.assign(inputs_.size(), false);
    if (!spec.colsep.empty()) colsep_.emplace(spec.colsep, std::regex::ECMAScript);
  }

  Next next() override {
    while (pending_.size() < max_args_) {
      Next one = take_combination();
      if (one.kind == Next::Kind::later) return one;  // what the task took so far waits in pending_
      if (one.kind == Next::Kind::end) break;
      if (fill_) {
        const std::uint64_t cost = line_cost(one.args);
        if (!pending_.empty() && pending_cost_ + cost > fill_->max_bytes) {  // the line is full
          taken_back_.push_front(std::move(one.args));
          break;
        }
        pending_cost_ += cost;
      }
      pending_.push_back(std::move(one.args));
    }
    if (fill_ && ended_ && !spread_ && pending_.size() > 1) spread();
    if (pending_.empty()) return {};
    Values args;
    for (Values& combination : pending_)
      args.insert(args.end(), std::make_move_iterator(combination.begin()), std::make_move_iterator(combination.end()));
    pending_.clear();
    pending_cost_ = fill_ ? fill_->fixed : 0;
    return {Next::Kind::input, {}, std::move(args)};
  }

  int wait_fd() const override { return waiting_on_ ? (*waiting_on_)->wait_fd() : -1; }

private:
  // A combination given back by a full line first, then the next one read.
  Next take_combination() {
    if (!taken_back_.empty()) {
      Next one{Next::Kind::input, {}, std::move(taken_back_.front())};
      taken_back_.pop_front();
      return one;
    }
    if (ended_) return {};
    Next one = next_combination();
    ended_ = one.kind == Next::Kind::end;
    return one;
  }

  // What a combination adds to a -X/-m command line (config::LineFill).
  std::uint64_t line_cost(const Values& args) const {
    std::uint64_t cost = 0;
    for (const std::string& arg : args) cost += fill_->copies * quoted_size(arg) + fill_->per_arg;
    return cost;
  }

  // -X/-m: the input ended within this task; as parallel, its combinations are shared over
  // the job slots, and no later task takes more than a share.
  void spread() {
    spread_ = true;
    const std::size_t slots = std::max<std::size_t>(1, fill_->spread_over);
    const std::size_t share = (pending_.size() + slots - 1) / slots;
    max_args_ = static_cast<std::uint32_t>(share);
    while (pending_.size() > share) {
      taken_back_.push_front(std::move(pending_.back()));
      pending_.pop_back();
    }
  }

  // The next combination's arguments (columns split, trimmed), or later/end.
  Next next_combination() {
    Next one = link_ ? next_linked() : next_product();
    if (one.kind != Next::Kind::input) return one;
    if (colsep_) {
      Values columns;
      for (const std::string& value : one.args) {
        Values split = split_columns(value, *colsep_);
        columns.insert(columns.end(), std::make_move_iterator(split.begin()), std::make_move_iterator(split.end()));
      }
      one.args = std::move(columns);
    }
    if (trim_left_ || trim_right_)
      for (std::string& arg : one.args) trim(arg, trim_left_, trim_right_);
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

  // The inputs of group g: [groups_[g], the next group's first input).
  std::size_t group_end(std::size_t g) const { return g + 1 < groups_.size() ? groups_[g + 1] : inputs_.size(); }
  // Combinations of a held group: its pairs end with its shortest source.
  std::size_t group_size(std::size_t g) const {
    std::size_t size = held_[groups_[g]].size();
    for (std::size_t i = groups_[g]; i < group_end(g); ++i) size = std::min(size, held_[i].size());
    return size;
  }

  // The first group's next combination, its sources read in step, into first_.
  Next next_first() {
    for (std::size_t i = first_.size(); i < group_end(0); ++i) {
      Next value = inputs_[i]->next();
      if (value.kind == Next::Kind::later) waiting_on_ = &inputs_[i];
      if (value.kind != Next::Kind::input) return value;
      first_.push_back(std::move(value.input));
    }
    return {Next::Kind::input, {}, {}};
  }

  Next next_product() {
    if (!hold_all(group_end(0))) return {Next::Kind::later, {}, {}};
    for (std::size_t g = 1; g < groups_.size(); ++g)
      if (group_size(g) == 0) return {};  // a product with an empty factor is empty
    if (odometer_.empty() || advance_odometer()) {
      // The first group moves on: its next values start a new round of the others'.
      if (first_.size() == group_end(0)) first_.clear();
      Next first = next_first();
      if (first.kind != Next::Kind::input) {
        if (!odometer_.empty()) rewind_odometer();  // asked again, the round starts again
        return first;
      }
      odometer_.assign(groups_.size(), 0);
    }
    Values args = first_;
    for (std::size_t g = 1; g < groups_.size(); ++g)
      for (std::size_t i = groups_[g]; i < group_end(g); ++i) args.push_back(held_[i][odometer_[g]]);
    return {Next::Kind::input, {}, std::move(args)};
  }

  // Steps the held groups' positions, the last fastest; true when they all wrapped.
  bool advance_odometer() {
    for (std::size_t g = groups_.size(); g-- > 1;) {
      if (++odometer_[g] < group_size(g)) return false;
      odometer_[g] = 0;
    }
    return true;
  }
  // Puts the positions back on the last combination given, so the next call advances again.
  void rewind_odometer() {
    for (std::size_t g = 1; g < groups_.size(); ++g) odometer_[g] = group_size(g) - 1;
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
  bool trim_left_;
  bool trim_right_;
  std::uint32_t max_args_;
  std::optional<std::regex> colsep_;
  std::vector<std::unique_ptr<TaskSource>> inputs_;
  std::vector<std::size_t> groups_;  // the first input of each group (:::+ joins one to the one before)
  std::vector<Values> held_;       // product: the sources after the first group; link: all
  std::vector<bool> held_ended_;
  const std::unique_ptr<TaskSource>* waiting_on_ = nullptr;  // the input that said `later`
  Values first_;                   // product: the first group's current values (fewer while one waits)
  std::vector<std::size_t> odometer_;  // product: position in each held group (index 0 unused)
  std::size_t linked_ = 0;         // link: combinations given
  std::optional<config::LineFill> fill_;  // -X / -m
  std::deque<Values> pending_;     // the combinations of the task being filled
  std::uint64_t pending_cost_ = fill_ ? fill_->fixed : 0;  // -X/-m: its command line's bytes, estimated
  std::deque<Values> taken_back_;  // -X/-m: combinations a full line or the spread gave back
  bool ended_ = false;             // the combinations ended
  bool spread_ = false;            // -X/-m: shared over the slots once, as parallel
};

}  // namespace

std::unique_ptr<TaskSource> open_args(const config::ArgsSource& args) { return std::make_unique<ArgsSource>(args); }

}  // namespace zpipe::ventilator
