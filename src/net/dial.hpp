// A TCP connection with a deadline: CAF 0.17's own connect blocks until the
// kernel gives up (minutes, for a peer behind a dropping firewall).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace actraft::net {

/// A connected, blocking-mode socket to host:port (the name is resolved
/// anew on every call), or -1 with `error` set.
int dial(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout,
         std::string& error);

}  // namespace actraft::net
