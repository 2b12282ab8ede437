#include "http_server.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <future>
#include <map>
#include <thread>

#include <httplib.h>
#include <spdlog/spdlog.h>

#include "zpipe/config/pipeline.hpp"

namespace zpipe::app {
namespace {

// Probes and a metrics scrape: a few short requests at a time. httplib's default pool
// has a thread per CPU (at least 8).
constexpr std::size_t kServerThreads = 2;

struct ListenAddress {
  std::string host;  // as getaddrinfo takes it: no brackets
  int port = 0;
};

ListenAddress parse_address(const std::string& flag, const std::string& text) {
  const auto bad = [&](const std::string& why) {
    return config::ConfigError(flag + " " + text + ": " + why + " (expected HOST:PORT, :PORT for every interface, "
                               "or port 0 for a free one, e.g. 0.0.0.0:8080)");
  };
  const std::size_t colon = text.rfind(':');
  if (colon == std::string::npos) throw bad("no port");
  ListenAddress address;
  address.host = text.substr(0, colon);
  if (address.host.size() >= 2 && address.host.front() == '[' && address.host.back() == ']')
    address.host = address.host.substr(1, address.host.size() - 2);
  if (address.host.empty()) address.host = "0.0.0.0";
  const std::string port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
    throw bad("the port is not a number");
  address.port = std::stoi(port);
  if (address.port > 65535) throw bad("the port is above 65535");
  return address;
}

}  // namespace

struct HttpServer::Impl {
  httplib::Server server;
  std::string address;  // as the log says it, with the real port
  int port = 0;
  std::map<std::string, Handler> routes;
  std::thread thread;
  std::future<void> ended;  // listen_after_bind returned
};

HttpServer::HttpServer(const std::string& flag, const std::string& text) : impl_(std::make_unique<Impl>()) {
  const ListenAddress address = parse_address(flag, text);
  httplib::Server& server = impl_->server;
  server.new_task_queue = [] { return new httplib::ThreadPool(kServerThreads); };
  // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, with which a second process
  // would share the port silently instead of being refused.
  server.set_socket_options([](socket_t sock) {
    const int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  // A probe is one short request: a slow or idle client must not hold a thread for long.
  server.set_read_timeout(std::chrono::seconds(2));
  server.set_write_timeout(std::chrono::seconds(2));
  server.set_keep_alive_timeout(1);
  // Every request is answered here, before httplib's own routing: exact paths, GET/HEAD.
  server.set_pre_routing_handler([impl = impl_.get()](const httplib::Request& request, httplib::Response& response) {
    if (request.method != "GET" && request.method != "HEAD") {
      response.status = 405;
      response.set_header("Allow", "GET, HEAD");
      response.set_content("method not allowed: " + request.method + "\n", "text/plain; charset=utf-8");
      return httplib::Server::HandlerResponse::Handled;
    }
    const auto route = impl->routes.find(request.path);
    if (route == impl->routes.end()) {
      response.status = 404;
      response.set_content("not found: " + request.path + "\n", "text/plain; charset=utf-8");
      return httplib::Server::HandlerResponse::Handled;
    }
    const HttpReply reply = route->second();
    response.status = reply.status;
    response.set_header("Cache-Control", "no-store");
    response.set_content(reply.body, reply.content_type);
    return httplib::Server::HandlerResponse::Handled;
  });

  errno = 0;
  if (address.port == 0) {
    impl_->port = server.bind_to_any_port(address.host);
  } else {
    impl_->port = server.bind_to_port(address.host, address.port) ? address.port : -1;
  }
  if (impl_->port < 0) {
    const std::string why = errno != 0 ? std::strerror(errno) : "cannot listen there";
    throw config::ConfigError(flag + " " + text + ": " + why);
  }
  const bool v6 = address.host.find(':') != std::string::npos;
  impl_->address = (v6 ? "[" + address.host + "]" : address.host) + ":" + std::to_string(impl_->port);
}

HttpServer::~HttpServer() {
  if (!impl_->thread.joinable()) return;
  // httplib 0.11's stop() does nothing until the thread has begun listening: ask again
  // until it has returned.
  do {
    impl_->server.stop();
  } while (impl_->ended.wait_for(std::chrono::milliseconds(5)) != std::future_status::ready);
  impl_->thread.join();
}

void HttpServer::route(const std::string& path, Handler handler) { impl_->routes[path] = std::move(handler); }

void HttpServer::start() {
  std::packaged_task<void()> serve([server = &impl_->server] { server->listen_after_bind(); });
  impl_->ended = serve.get_future();
  impl_->thread = std::thread(std::move(serve));
  spdlog::info("http: listening on {}", impl_->address);
}

int HttpServer::port() const { return impl_->port; }

}  // namespace zpipe::app
