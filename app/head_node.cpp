#include "head_node.hpp"

#include <charconv>

namespace zpipe::app {
namespace {

ListenAddresses parse_listen(const std::string& text) {
  const std::size_t colon = text.rfind(':');
  const std::string host = colon == std::string::npos || colon == 0 ? "*" : text.substr(0, colon);
  const std::string port_text = colon == std::string::npos ? text : text.substr(colon + 1);
  unsigned port = 0;
  const auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (error != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65534)
    throw config::ConfigError("--listen: '" + text + "' is not [HOST:]PORT with PORT 1..65534 (the ventilator "
                              "takes PORT, the sink PORT+1), e.g. --listen 5557 or --listen 10.0.0.5:5557");
  ListenAddresses a{"tcp://" + host + ":" + std::to_string(port), "tcp://" + host + ":" + std::to_string(port + 1)};
  for (const std::string* address : {&a.ventilator, &a.sink})
    if (auto problem = config::endpoint_problem(*address, true)) throw config::ConfigError("--listen: " + *problem);
  return a;
}

}  // namespace

std::optional<ListenAddresses> listen_addresses(const std::string& listen_flag, const config::Pipeline& pipeline,
                                                bool from_file) {
  if (!listen_flag.empty()) return parse_listen(listen_flag);
  if (from_file && (!pipeline.ventilator.address.bind.empty() || !pipeline.sink.address.bind.empty()))
    return ListenAddresses{pipeline.ventilator.address.bind_address(), pipeline.sink.address.bind_address()};
  return std::nullopt;
}

}  // namespace zpipe::app
