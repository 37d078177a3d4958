// Registration of every type that crosses an actor boundary. CAF 0.17 sends
// an unregistered type over the network as an empty message (one line on
// stderr, nothing else), so everything is registered here, in one place,
// and test/actors proves it over real sockets.
#include <caf/all.hpp>
#include <caf/io/middleman.hpp>

#include "actraft/mailbox.hpp"
#include "protocol.hpp"

namespace actraft {

caf::error make_error(errc code) {
  return caf::error{static_cast<std::uint8_t>(code), error_category};
}

caf::error make_error(errc code, std::string context) {
  return caf::error{static_cast<std::uint8_t>(code), error_category,
                    caf::make_message(std::move(context))};
}

std::optional<errc> code_of(const caf::error& err) {
  if (!err || err.category() != error_category) return std::nullopt;
  return static_cast<errc>(err.code());
}

void add_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<bytes>("actraft::bytes");
  cfg.add_message_type<member_status>("actraft::member_status");
  cfg.add_message_type<node_status>("actraft::node_status");
  cfg.add_message_type<event>("actraft::event");
  cfg.add_message_type<node_metrics>("actraft::node_metrics");
  cfg.add_message_type<core::message>("actraft::message");
  cfg.add_message_type<core::entry>("actraft::entry");
  cfg.add_message_type<core::hard_state>("actraft::hard_state");
  cfg.add_message_type<core::snapshot_meta>("actraft::snapshot_meta");
  cfg.add_message_type<actors::peer_interface>("actraft::peer_interface");
  cfg.add_error_category(error_category, [](std::uint8_t code, caf::atom_value,
                                             const caf::message& ctx) {
    std::string s = "actraft::";
    s += to_string(static_cast<errc>(code));
    if (ctx.match_elements<std::string>()) s += ": " + ctx.get_as<std::string>(0);
    return s;
  });
  // The member transport is a broker of CAF's network layer.
  cfg.load<caf::io::middleman>();
}

}  // namespace actraft
