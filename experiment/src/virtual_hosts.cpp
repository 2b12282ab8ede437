#include "zpipe/experiment/virtual_hosts.hpp"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace zpipe::experiment {
namespace {

constexpr const char* kPrefix = "zph";  // zph<pid>x<counter>: whose, and which

std::string ip() {
  for (const char* c : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"})
    if (::access(c, X_OK) == 0) return c;
  throw std::runtime_error("ip (iproute2) is not installed (scripts/install-deps.sh installs it)");
}

std::string run(const std::string& command) {
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) throw std::runtime_error("popen failed: " + command);
  std::string output;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, p)) output += buffer;
  if (::pclose(p) != 0) throw std::runtime_error("'" + command + "' failed: " + output);
  return output;
}

void quietly(const std::string& command) { std::system((command + " >/dev/null 2>&1").c_str()); }

void remove_namespace(const std::string& ns) {
  quietly(ip() + " netns del " + ns);
  std::error_code ignored;
  std::filesystem::remove_all(std::filesystem::path("/etc/netns") / ns, ignored);
}

// Namespaces of test processes that died before their destructor ran (a ctest timeout).
void remove_orphans() {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/run/netns", error)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(kPrefix, 0) != 0) continue;
    const pid_t owner = static_cast<pid_t>(std::atol(name.c_str() + 3));
    if (owner > 0 && ::kill(owner, 0) != 0 && errno == ESRCH) remove_namespace(name);
  }
}

}  // namespace

std::string VirtualHosts::unavailable() {
  if (::geteuid() != 0) return "multi-host tests need root (network namespaces); run `make test` as root";
  try {
    const std::string probe = std::string(kPrefix) + std::to_string(::getpid()) + "probe";
    run(ip() + " netns add " + probe);
    std::string why;
    try {
      run(ip() + " -n " + probe + " link add br0 type bridge");
    } catch (const std::exception& e) {
      why = std::string("no bridge in a namespace: ") + e.what();
    }
    remove_namespace(probe);
    return why;
  } catch (const std::exception& e) {
    return std::string("this machine forbids network namespaces: ") + e.what();
  }
}

VirtualHosts::VirtualHosts(const std::vector<std::string>& names) {
  static std::atomic<int> counter{0};
  remove_orphans();
  stem_ = std::string(kPrefix) + std::to_string(::getpid()) + "x" + std::to_string(++counter);
  switch_ = stem_ + "sw";
  try {
    run(ip() + " netns add " + switch_);
    run(ip() + " -n " + switch_ + " link add br0 type bridge");
    run(ip() + " -n " + switch_ + " link set br0 up");
    int n = 0;
    for (const std::string& name : names) {
      index_[name] = ++n;
      alias_[name] = name;
      const std::string ns = stem_ + "h" + std::to_string(n);
      const std::string port = "p" + std::to_string(n);
      run(ip() + " netns add " + ns);
      run(ip() + " -n " + ns + " link set lo up");
      // Made inside the switch, so port names never meet another test's.
      run(ip() + " -n " + switch_ + " link add " + port + " type veth peer name eth0 netns " + ns);
      run(ip() + " -n " + switch_ + " link set " + port + " master br0");
      run(ip() + " -n " + switch_ + " link set " + port + " up");
      run(ip() + " -n " + ns + " addr add " + address(name) + "/24 dev eth0");
      run(ip() + " -n " + ns + " link set eth0 up");
    }
    write_hosts_files();
  } catch (...) {
    remove_all();
    throw;
  }
}

VirtualHosts::~VirtualHosts() { remove_all(); }

void VirtualHosts::remove_all() {
  for (const auto& [name, n] : index_) remove_namespace(stem_ + "h" + std::to_string(n));
  index_.clear();
  if (!switch_.empty()) remove_namespace(switch_);
  switch_.clear();
}

std::vector<std::string> VirtualHosts::exec_on(const std::string& name) const {
  return {ip(), "netns", "exec", stem_ + "h" + std::to_string(index_.at(name))};
}

std::string VirtualHosts::address(const std::string& name) const {
  return "10.78.0." + std::to_string(index_.at(name));
}

void VirtualHosts::cable(const std::string& name, bool plugged) {
  run(ip() + " -n " + switch_ + " link set p" + std::to_string(index_.at(name)) + (plugged ? " up" : " down"));
}

void VirtualHosts::point(const std::string& name, const std::string& target) {
  alias_.at(name) = target;
  write_hosts_files();
}

// Rewritten in place (same inode): a running host sees the new file through its mount.
void VirtualHosts::write_hosts_files() const {
  std::string text = "127.0.0.1 localhost\n";
  for (const auto& [name, target] : alias_) text += address(target) + " " + name + "\n";
  for (const auto& [name, n] : index_) {
    const std::filesystem::path dir = std::filesystem::path("/etc/netns") / (stem_ + "h" + std::to_string(n));
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "hosts", std::ios::trunc) << text;
  }
}

}  // namespace zpipe::experiment
