// core/hash.hpp — content hashes used to find duplicate images and to fingerprint datasets.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace logoscope {

/// 64-bit FNV-1a over bytes (Fowler, Noll, Vo). Not cryptographic: identifies exact duplicates.
std::uint64_t fnv1a64(std::span<const std::uint8_t> bytes, std::uint64_t seed = 0xcbf29ce484222325ULL);
std::uint64_t fnv1a64(const std::string& text, std::uint64_t seed = 0xcbf29ce484222325ULL);

/// 16 lower-case hex digits.
std::string hash_hex(std::uint64_t hash);

}  // namespace logoscope
