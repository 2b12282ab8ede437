#pragma once
// Machines for multi-host tests and the `hosts` axis of zpipe experiment, made of Linux
// network namespaces: each "host" is a
// namespace with one interface (eth0, 10.78.0.N/24) cabled to a bridge that lives in a
// namespace of its own (the switch), so no packet reaches the machine's own interfaces.
// Every host resolves every other by name through /etc/netns/NS/hosts, which `ip netns exec`
// mounts over /etc/hosts. Needs root; everything is removed at scope exit (and namespaces
// left by a killed test process are removed by the next one).
// Error style: exceptions (std::runtime_error naming the failed command).

#include <map>
#include <string>
#include <vector>

namespace zpipe::experiment {

class VirtualHosts {
public:
  // Why virtual hosts cannot be made here (not root, no namespaces, no bridge), or empty.
  static std::string unavailable();

  explicit VirtualHosts(const std::vector<std::string>& names);
  ~VirtualHosts();
  VirtualHosts(const VirtualHosts&) = delete;
  VirtualHosts& operator=(const VirtualHosts&) = delete;

  // The prefix that runs a program on host `name`: `ip netns exec NS`.
  std::vector<std::string> exec_on(const std::string& name) const;
  std::string address(const std::string& name) const;
  // Cuts or restores the cable of host `name` at the switch (the host sees nothing: its
  // packets are lost, as when a node or its link dies).
  void cable(const std::string& name, bool plugged);
  // Host `name` resolves to the address of host `target` on every host from now on (a
  // Service whose IP changed). Takes effect at the next lookup, without a restart.
  void point(const std::string& name, const std::string& target);

private:
  void write_hosts_files() const;
  void remove_all();
  std::string stem_;
  std::string switch_;
  std::map<std::string, int> index_;          // host name -> N (address 10.78.0.N, port pN)
  std::map<std::string, std::string> alias_;  // host name -> whose address it resolves to
};

}  // namespace zpipe::experiment
