#include "http_message.hpp"

#include <algorithm>

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>

namespace actraft::examples::http {

namespace beast_http = boost::beast::http;

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

// --- the reader ------------------------------------------------------------------------

struct request_reader::impl {
  std::optional<beast_http::request_parser<beast_http::string_body>> parser;
};

request_reader::request_reader(limits l) : limits_(l), impl_(std::make_unique<impl>()) {}
request_reader::~request_reader() = default;

bool request_reader::between_requests() const { return !impl_->parser; }

request_reader::result request_reader::put(const char* data, std::size_t n) {
  result r;
  auto& p = impl_->parser;
  if (!p) {
    p.emplace();
    p->eager(true);
    p->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(limits_.max_header_bytes, UINT32_MAX)));
    p->body_limit(limits_.max_body_bytes);
  }
  auto refuse = [&](int status, std::string why) {
    r.what = state::refused;
    r.status = status;
    r.why = std::move(why);
    return r;
  };
  while (r.used < n) {
    const bool had_header = p->is_header_done();
    boost::system::error_code ec;
    const auto used = p->put(boost::asio::buffer(data + r.used, n - r.used), ec);
    r.used += used;
    if (!had_header && p->is_header_done()) {
      r.header_now = true;
      // Anything but exactly "chunked" would leave the body's end to
      // guesswork (request smuggling): refused.
      const auto te = p->get()[beast_http::field::transfer_encoding];
      if (!te.empty() && !boost::beast::iequals(te, "chunked"))
        return refuse(400, "unsupported Transfer-Encoding (only 'chunked')");
    }
    if (ec == beast_http::error::need_more) {
      // An incomplete header needs more bytes than it was given; so does a
      // chunk-size line, its extensions or the trailer within a body (the
      // parser takes body data as it comes): held back, up to a limit.
      const std::size_t held = n - r.used;
      if (!p->is_header_done() && held > limits_.max_header_bytes)
        return refuse(431, "request header too large");
      if (p->is_header_done() && held > limits_.max_chunk_line_bytes)
        return refuse(400, "chunk line or trailer too long");
      return r;
    }
    if (ec == beast_http::error::header_limit) return refuse(431, "request header too large");
    if (ec == beast_http::error::body_limit) return refuse(413, "request body too large");
    if (ec) return refuse(400, "malformed request: " + ec.message());
    if (p->is_done()) {
      r.what = state::done;
      return r;
    }
    if (used == 0) return r;
  }
  return r;
}

bool request_reader::expects_continue() const {
  return impl_->parser && impl_->parser->is_header_done() &&
         boost::beast::iequals(impl_->parser->get()[beast_http::field::expect], "100-continue");
}

std::optional<std::uint64_t> request_reader::content_length() const {
  if (!impl_->parser) return std::nullopt;
  auto l = impl_->parser->content_length();
  return l ? std::optional<std::uint64_t>(*l) : std::nullopt;
}

bool request_reader::body_pending() const { return impl_->parser && !impl_->parser->is_done(); }

std::optional<request> request_reader::take(bool& close_after) {
  auto msg = impl_->parser->release();
  impl_->parser.reset();
  close_after = !msg.keep_alive();
  auto target = split_target(std::string_view(msg.target().data(), msg.target().size()));
  if (!target) return std::nullopt;
  request req;
  req.method = std::string(msg.method_string());
  req.path = std::move(target->first);
  req.query = std::move(target->second);
  req.body = std::move(msg.body());
  if (auto auth = msg.find(beast_http::field::authorization); auth != msg.end())
    req.authorization = std::string(auth->value().data(), auth->value().size());
  return req;
}

// --- text ------------------------------------------------------------------------------

std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (s[i] == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

std::optional<std::pair<std::string, std::map<std::string, std::string>>> split_target(
    std::string_view target) {
  const auto q = target.find('?');
  auto path = percent_decode(target.substr(0, q), false);
  if (!path || path->empty() || path->front() != '/') return std::nullopt;
  std::map<std::string, std::string> query;
  if (q != std::string_view::npos) {
    std::string_view rest = target.substr(q + 1);
    while (!rest.empty()) {
      const auto amp = rest.find('&');
      const auto item = rest.substr(0, amp);
      rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
      if (item.empty()) continue;
      const auto eq = item.find('=');
      auto name = percent_decode(item.substr(0, eq), true);
      auto value = eq == std::string_view::npos ? std::optional<std::string>{""}
                                                : percent_decode(item.substr(eq + 1), true);
      if (!name || !value) return std::nullopt;
      query.emplace(std::move(*name), std::move(*value));
    }
  }
  return std::make_pair(std::move(*path), std::move(query));
}

std::string format_response(const response& r, bool close) {
  const auto reason = beast_http::obsolete_reason(static_cast<beast_http::status>(r.status));
  std::string out;
  out.reserve(128 + r.body.size());
  out += "HTTP/1.1 ";
  out += std::to_string(r.status);
  out += ' ';
  out.append(reason.data(), reason.size());
  out += "\r\n";
  // 1xx, 204 and 304 answers carry no body and no length (RFC 9110 8.6).
  const bool bodyless = r.status < 200 || r.status == 204 || r.status == 304;
  if (!bodyless) {
    out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
    if (!r.body.empty()) out += "Content-Type: " + r.content_type + "\r\n";
  }
  auto clean = [](const std::string& s) {
    return std::none_of(s.begin(), s.end(), [](char ch) {
      const auto u = static_cast<unsigned char>(ch);
      return (u < 0x20 && u != '\t') || u == 0x7f;
    });
  };
  for (const auto& [name, value] : r.headers)
    if (clean(name) && clean(value)) out += name + ": " + value + "\r\n";
  if (close) out += "Connection: close\r\n";
  out += "\r\n";
  if (!bodyless) out += r.body;
  return out;
}

}  // namespace actraft::examples::http
