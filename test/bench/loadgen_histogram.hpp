// A log-linear latency histogram for the load generator: exact below 1024 µs,
// then 512 sub-buckets per power of two (relative error under 0.2 %), so
// per-thread histograms stay small, merge by addition and give percentiles
// without keeping every sample.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <vector>

namespace actraft::bench {

class latency_histogram {
public:
  static constexpr int sub_bits = 9;                          // 512 sub-buckets
  static constexpr std::uint64_t linear_limit = 2u << sub_bits;  // 1024 µs exact
  static constexpr int max_exponent = 40;                     // up to ~12 days in µs

  latency_histogram() : counts_(bucket_count(), 0) {}

  void record(std::uint64_t us) {
    ++counts_[index_of(us)];
    ++total_;
    max_ = std::max(max_, us);
    sum_ += us;
  }

  void merge(const latency_histogram& other) {
    for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    total_ += other.total_;
    max_ = std::max(max_, other.max_);
    sum_ += other.sum_;
  }

  std::uint64_t count() const { return total_; }
  std::uint64_t max() const { return max_; }
  double mean() const { return total_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(total_); }

  /// The smallest recorded bucket value v such that at least p % of the
  /// samples are <= v (the bucket's upper bound, capped by the maximum).
  std::uint64_t percentile(double p) const {
    if (total_ == 0) return 0;
    auto rank = static_cast<std::uint64_t>(p / 100.0 * static_cast<double>(total_) + 0.5);
    rank = std::clamp<std::uint64_t>(rank, 1, total_);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(upper_bound_of(i), max_);
    }
    return max_;
  }

private:
  static std::size_t bucket_count() {
    return linear_limit + static_cast<std::size_t>(max_exponent) * (1u << sub_bits);
  }

  static std::size_t index_of(std::uint64_t v) {
    if (v < linear_limit) return static_cast<std::size_t>(v);
    // v has its highest bit at position b >= sub_bits + 1; keep sub_bits + 1 bits.
    const int b = std::bit_width(v) - 1;
    const int shift = b - sub_bits;
    const auto mantissa = static_cast<std::size_t>(v >> shift) - (1u << sub_bits);  // 0..511
    const auto group = static_cast<std::size_t>(std::min(shift, max_exponent) - 1);
    return std::min(linear_limit + group * (1u << sub_bits) + mantissa, bucket_count() - 1);
  }

  static std::uint64_t upper_bound_of(std::size_t i) {
    if (i < linear_limit) return i;
    const std::size_t group = (i - linear_limit) >> sub_bits;
    const std::size_t mantissa = (i - linear_limit) & ((1u << sub_bits) - 1);
    const int shift = static_cast<int>(group) + 1;
    return (((1ull << sub_bits) + mantissa + 1) << shift) - 1;
  }

  std::vector<std::uint64_t> counts_;
  std::uint64_t total_ = 0;
  std::uint64_t max_ = 0;
  std::uint64_t sum_ = 0;
};

}  // namespace actraft::bench
