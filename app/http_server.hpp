#pragma once
// A small HTTP server on its own threads, for probes and metrics (`--http ADDR`,
// docs/http.md). Routes are exact paths answered to GET and HEAD; anything else is
// 404 (unknown path) or 405 (another method). Handlers run on the server's threads: they
// must answer from atomics or snapshots, never wait for a role's loop.
//
// Error style: exceptions. The constructor throws config::ConfigError naming the flag when
// the address is not HOST:PORT or cannot be listened on (a port in use): exit 2, as any bad
// flag.

#include <functional>
#include <memory>
#include <string>

namespace zpipe::app {

struct HttpReply {
  int status = 200;
  std::string body;
  std::string content_type = "text/plain; charset=utf-8";
};

class HttpServer {
public:
  using Handler = std::function<HttpReply()>;

  // Listens on `address` at once, so that a port in use is refused before the role starts:
  // "HOST:PORT", ":PORT" (every interface), "[IPV6]:PORT"; port 0 picks a free one.
  // `flag` names the option in errors ("--http").
  HttpServer(const std::string& flag, const std::string& address);
  // Stops serving and joins the server's threads. A client holding an idle connection open
  // (keep-alive, or connected and silent) delays this by up to a second: httplib 0.11 waits
  // out its keep-alive timeout, whose smallest value is 1 s, before a thread sees the stop.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Before start(): `path` (exact, e.g. "/healthz") answers with `handler`.
  void route(const std::string& path, Handler handler);
  // Serves on the server's thread; logs "http: listening on HOST:PORT" (the real port).
  void start();
  int port() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace zpipe::app
