// Internal invariants: what a node's own state guarantees at the line that
// relies on it (as etcd panics and LogCabin asserts). A broken invariant is a
// bug in actraft, never bad input: input is validated and dropped or refused
// instead. The check throws `invariant_error`; the simulator reports it as a
// violation of the seed, the node actor logs it and stops the node cleanly
// (and aborts in debug builds).
#pragma once

#include <stdexcept>
#include <string>

namespace actraft::core {

class invariant_error : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

[[noreturn]] void invariant_failed(const std::string& what, const char* file, int line);

}  // namespace actraft::core

/// Checks an internal invariant; `what` says what must hold, in words.
#define ACTRAFT_INVARIANT(cond, what)                                 \
  do {                                                                \
    if (!(cond)) ::actraft::core::invariant_failed((what), __FILE__, __LINE__); \
  } while (false)
