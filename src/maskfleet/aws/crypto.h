// The hashes AWS request signing needs (OpenSSL's libcrypto, which libcurl already
// links): SHA-256, HMAC-SHA256, MD5 for S3's Content-MD5, hex and base64 forms.
// Pure functions, safe from any thread.
#ifndef MASKFLEET_AWS_CRYPTO_H_
#define MASKFLEET_AWS_CRYPTO_H_

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace maskfleet::aws {

using Digest256 = std::array<std::uint8_t, 32>;

Digest256 Sha256(std::span<const std::uint8_t> data);
Digest256 Sha256(std::string_view data);
Digest256 HmacSha256(std::span<const std::uint8_t> key, std::string_view data);

// Lower-case hex, as SigV4 writes hashes and signatures.
std::string HexLower(std::span<const std::uint8_t> bytes);
std::string Sha256Hex(std::span<const std::uint8_t> data);
std::string Sha256Hex(std::string_view data);

// Base64 of the MD5 of `data`: the value of S3's Content-MD5 header.
std::string Md5Base64(std::span<const std::uint8_t> data);

}  // namespace maskfleet::aws

#endif  // MASKFLEET_AWS_CRYPTO_H_
