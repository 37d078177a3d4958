// The peer protocol on the wire: frames of a 4-byte length and a body, over
// TLS. Written by hand rather than with a generic serializer so that every
// length is checked against the bytes actually there before anything is
// allocated, and every enum against its range: what arrives from the
// network can be malformed, never harmful.
//
//   frame    = u32 length (big-endian, <= the receiver's limit) | body
//   body     = u8 kind | fields of that kind
//   hello    = u16 version | str cluster id | u64 member | str address
//   refuse   = str reason                 (then the sender closes)
//   raft     = u32 n | n × message
//   request  = u64 id | u8 op | fields of the op
//   response = u64 id | u8 ok | ok ? answer of the op : u8 errc, str why
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "actraft/core/message.hpp"
#include "actraft/core/types.hpp"

namespace actraft::net {

using core::bytes;

/// 2: Raft messages carry a context (heartbeat rounds and reads, §6.4).
inline constexpr std::uint16_t wire_version = 2;
inline constexpr std::size_t frame_header_bytes = 4;
/// Addresses, ids, reasons, keys: small text.
inline constexpr std::size_t max_text_bytes = 64 * 1024;

enum class frame_kind : std::uint8_t { hello = 1, refuse = 2, raft = 3, request = 4, response = 5 };
enum class op : std::uint8_t { forward = 1, join = 2, remove = 3, chunk = 4, transfer = 5 };

struct hello {
  std::uint16_t version = wire_version;
  std::string cluster_id;  ///< empty: a joiner that has none yet
  std::uint64_t member = 0;
  std::string address;
};

struct join_body {
  std::string address;
  std::string secret;      ///< the join token's secret (cluster CA mode)
  std::string public_key;  ///< PEM; the certificate to issue is for it
};
struct join_answer {
  std::uint64_t id = 0;
  std::vector<core::member> members;
  std::string cluster_id;
  // Cluster CA mode: the joiner's certificate, and what every member keeps.
  std::string ca_pem;
  std::string cert_pem;
  std::string ca_key_pem;
  std::string join_secret;
};
struct chunk_body {
  core::message header;
  std::uint64_t offset = 0;
  bytes data;
  bool last = false;
};

struct request {
  std::uint64_t id = 0;
  op kind = op::forward;
  bytes command;            ///< forward
  join_body join;           ///< join
  std::uint64_t member = 0; ///< remove; transfer (0: the most caught-up voter)
  chunk_body chunk;         ///< chunk
};

struct response {
  std::uint64_t id = 0;
  bool ok = false;
  std::uint8_t code = 0;  ///< errc, when !ok
  std::string why;
  // The answer, by the op of the request it answers.
  bytes value;               ///< forward
  join_answer join;          ///< join
  std::uint64_t number = 0;  ///< remove: the removed id; transfer: the new leader; chunk: the next offset
};

// --- writing: each returns a whole frame, length included ------------------------------
std::vector<char> encode(const hello& h);
std::vector<char> encode_refuse(const std::string& reason);
std::vector<char> encode_raft(const std::vector<core::message>& messages);
std::vector<char> encode(const request& r);
/// `kind` is the op of the request answered (it says which answer fields go).
std::vector<char> encode(const response& r, op kind);

// --- reading: a frame's body (after the length) ----------------------------------------
/// The kind of a body; nothing if empty or unknown.
std::optional<frame_kind> kind_of(const char* body, std::size_t n);
std::optional<hello> decode_hello(const char* body, std::size_t n);
std::optional<std::string> decode_refuse(const char* body, std::size_t n);
std::optional<std::vector<core::message>> decode_raft(const char* body, std::size_t n);
std::optional<request> decode_request(const char* body, std::size_t n);
/// The id of a response, to find the request's op before decoding the rest.
std::optional<std::uint64_t> response_id(const char* body, std::size_t n);
std::optional<response> decode_response(const char* body, std::size_t n, op kind);

/// The length in a frame header.
std::uint32_t frame_length(const char* header);

}  // namespace actraft::net
