#pragma once
// zpipe run as a head node: besides its in-process workers, the batch takes workers of other
// hosts (`zpipe worker` processes, pods) on tcp, as GNU parallel's -S without ssh.
// Error style: exceptions (config::ConfigError naming the flag).

#include <optional>
#include <string>

#include "zpipe/config/pipeline.hpp"

namespace zpipe::app {

struct ListenAddresses {
  std::string ventilator;  // where other hosts' workers take tasks
  std::string sink;        // where they push results
};

// `--listen [HOST:]PORT`: the ventilator on tcp://HOST:PORT, the sink on PORT+1 (HOST
// defaults to `*`, every interface). Without the flag, a pipeline file that sets a `bind`
// key (ventilator or sink) is bound as written; otherwise nothing (nullopt).
std::optional<ListenAddresses> listen_addresses(const std::string& listen_flag, const config::Pipeline& pipeline,
                                                bool from_file);

}  // namespace zpipe::app
