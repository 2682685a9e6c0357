#pragma once
#include "server/config.hpp"

namespace bk::server {

// Runs the services of `config` until SIGTERM or SIGINT; returns the exit status.
int run_daemon(const Config& config);

}  // namespace bk::server
