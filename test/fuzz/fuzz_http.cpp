// libFuzzer: the HTTP request path of kv_store's server without the
// network — a connection's bytes, cut at arbitrary points, through the
// request reader with the server's limits (small ones, so the fuzzer
// reaches them), every request taken and its answer formatted. Refusals
// are fine; crashes, over-reads and unbounded buffering are not.
#include <cstdint>
#include <stdexcept>
#include <string>

#include "../../examples/common/http_message.hpp"

using namespace actraft::examples::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  // The first byte says where the reads are cut (a client's segments).
  const std::size_t cut = 1 + data[0] % 64;
  const std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  request_reader reader({2048, 8192, 256});
  std::string held;  // as the server's buffer: received, not consumed
  for (std::size_t at = 0; at < bytes.size(); at += cut) {
    held.append(bytes, at, cut);
    std::size_t pos = 0;
    while (pos < held.size()) {
      const auto r = reader.put(held.data() + pos, held.size() - pos);
      pos += r.used;
      if (r.used > held.size()) throw std::logic_error("the reader consumed more than it was given");
      if (r.what == request_reader::state::refused) return 0;  // the server closes here
      if (r.what == request_reader::state::more) break;
      bool close = false;
      if (auto req = reader.take(close)) {
        response a = text(200, req->path + req->body);
        a.headers.emplace_back("X-Echo", req->method);
        (void)format_response(a, close);
      }
    }
    held.erase(0, pos);
    // What the reader holds back stays within its limits.
    if (held.size() > 2048 + 8192 + 256 + 2 * cut) throw std::logic_error("unbounded buffering");
  }
  return 0;
}
