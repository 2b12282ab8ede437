// The halt policy as GNU parallel's --halt spells it, and as zpipe describes it.
#include <string>

#include "detail.hpp"
#include "zpipe/config/pipeline.hpp"

namespace zpipe::config {

std::optional<std::pair<std::uint64_t, bool>> detail::count_or_percent(const std::string& text) {
  const bool percent = !text.empty() && text.back() == '%';
  const std::string digits = percent ? text.substr(0, text.size() - 1) : text;
  if (digits.empty() || digits.size() > 18 || digits.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  const std::uint64_t n = std::stoull(digits);
  if (n < 1 || (percent && n > 100)) return std::nullopt;
  return std::pair{n, percent};
}

std::string HaltSpec::describe() const {
  if (!enabled()) return "never";
  const char* what = on == On::failure ? "failed" : on == On::success ? "succeeded" : "ended";
  std::string text = when == When::now ? "now (running tasks are killed)" : "soon (running tasks finish)";
  text += ", once ";
  text += percent ? std::to_string(after) + "% of the tasks" : std::to_string(after) + (after == 1 ? " task" : " tasks");
  return text + " " + what + (on == On::failure ? " or timed out" : "");
}

std::string HaltSpec::spelling() const {
  if (!enabled()) return "never";
  const char* event = on == On::failure ? "fail" : on == On::success ? "success" : "done";
  return std::string(when == When::now ? "now," : "soon,") + event + "=" + std::to_string(after) + (percent ? "%" : "");
}

HaltSpec parse_halt(const std::string& flag, const std::string& value) {
  HaltSpec spec;
  const auto bad = [&] {
    return ConfigError(flag + ": '" + value +
                       "' is not a halt policy: never, soon|now,fail=N, soon|now,success=N, soon|now,done=N "
                       "(N a count or a percentage like 10%), or 0, 1, 2, -1, -2, 1-99%");
  };
  if (value == "never" || value == "0") return spec;
  // The old numeric forms.
  if (value == "1" || value == "2" || value == "-1" || value == "-2") {
    spec.after = 1;
    spec.when = value.back() == '2' ? HaltSpec::When::now : HaltSpec::When::soon;
    spec.on = value.front() == '-' ? HaltSpec::On::success : HaltSpec::On::failure;
    return spec;
  }
  const std::size_t comma = value.find(',');
  if (comma == std::string::npos) {
    const auto n = detail::count_or_percent(value);
    if (!n || !n->second || n->first > 99) throw bad();
    spec.after = n->first;
    spec.percent = true;
    return spec;
  }
  const std::string when = value.substr(0, comma), why = value.substr(comma + 1);
  if (when == "now") spec.when = HaltSpec::When::now;
  else if (when != "soon") throw bad();
  const std::size_t equals = why.find('=');
  if (equals == std::string::npos) throw bad();
  const std::string event = why.substr(0, equals);
  if (event == "fail") spec.on = HaltSpec::On::failure;
  else if (event == "success") spec.on = HaltSpec::On::success;
  else if (event == "done") spec.on = HaltSpec::On::done;
  else throw bad();
  const auto n = detail::count_or_percent(why.substr(equals + 1));
  if (!n) throw bad();
  spec.after = n->first;
  spec.percent = n->second;
  return spec;
}

}  // namespace zpipe::config
