// Syntax check of ZeroMQ endpoints: tcp://HOST:PORT, ipc://PATH, inproc://NAME.

#include <cctype>
#include <charconv>

#include "detail.hpp"

namespace zpipe::config::detail {
namespace {

bool host_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
}

bool ipv6_char(char c) {
  // Hex digits, ':' and '.' (embedded IPv4), '%' and a zone name (fe80::1%eth0).
  return std::isalnum(static_cast<unsigned char>(c)) || c == ':' || c == '.' || c == '%' ||
         c == '_' || c == '-';
}

bool has_space(std::string_view text) {
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c)) || std::iscntrl(static_cast<unsigned char>(c)))
      return true;
  }
  return false;
}

}  // namespace

std::string_view endpoint_transport(std::string_view text) {
  const auto pos = text.find("://");
  return pos == std::string_view::npos ? std::string_view{} : text.substr(0, pos);
}

std::optional<std::string> endpoint_problem(std::string_view text, bool bind) {
  const std::string quoted = "'" + std::string(text) + "'";
  const std::string generic =
      quoted + " is not a ZeroMQ endpoint (expected tcp://HOST:PORT, ipc://PATH or inproc://NAME)";
  const std::string_view transport = endpoint_transport(text);
  if (transport.empty() || has_space(text)) return generic;
  const std::string_view rest = text.substr(transport.size() + 3);

  if (transport == "ipc" || transport == "inproc") {
    if (rest.empty()) return generic;
    return std::nullopt;
  }
  if (transport != "tcp") return generic;

  // tcp://HOST:PORT where HOST is a name, an IPv4 address, [IPv6] or '*' (bind only).
  std::string_view host;
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':')
      return generic;
    host = rest.substr(1, close - 1);
    port = rest.substr(close + 2);
    if (host.empty()) return generic;
    for (char c : host) {
      if (!ipv6_char(c)) return generic;
    }
  } else {
    const auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) return generic;
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    if (host.empty()) return generic;
    if (host != "*") {
      for (char c : host) {
        if (!host_char(c)) return generic;
      }
    }
  }
  if (port.empty()) return generic;

  const std::string only_bind = " is only valid in 'bind', not in an address peers connect to "
                                "(give a host name or address and a port, e.g. "
                                "tcp://127.0.0.1:5557)";
  if (host == "*" && !bind) return quoted + ": host '*'" + only_bind;
  if (port == "*") {
    if (!bind) return quoted + ": port '*'" + only_bind;
    return std::nullopt;
  }
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec == std::errc::invalid_argument || (ec == std::errc{} && ptr != port.data() + port.size()))
    return generic;
  if (ec != std::errc{} || value < 1 || value > 65535)
    return quoted + " is not a ZeroMQ endpoint: port " + std::string(port) +
           " is out of range (1-65535)";
  return std::nullopt;
}

}  // namespace zpipe::config::detail

namespace zpipe::config {

std::optional<std::string> endpoint_problem(const std::string& url, bool for_bind) {
  return detail::endpoint_problem(url, for_bind);
}

}  // namespace zpipe::config
