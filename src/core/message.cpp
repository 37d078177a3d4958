#include "actraft/core/message.hpp"

namespace actraft::core {

std::string_view to_string(message_type t) {
  switch (t) {
    case message_type::pre_vote: return "pre_vote";
    case message_type::pre_vote_response: return "pre_vote_response";
    case message_type::vote: return "vote";
    case message_type::vote_response: return "vote_response";
    case message_type::append: return "append";
    case message_type::append_response: return "append_response";
    case message_type::heartbeat: return "heartbeat";
    case message_type::heartbeat_response: return "heartbeat_response";
    case message_type::timeout_now: return "timeout_now";
    case message_type::snapshot: return "snapshot";
    case message_type::read_index: return "read_index";
    case message_type::read_index_response: return "read_index_response";
  }
  return "unknown";
}

bool is_response(message_type t) {
  return t == message_type::pre_vote_response || t == message_type::vote_response ||
         t == message_type::append_response || t == message_type::heartbeat_response ||
         t == message_type::read_index_response;
}

}  // namespace actraft::core
