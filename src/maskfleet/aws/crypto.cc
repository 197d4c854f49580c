#include "maskfleet/aws/crypto.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

namespace maskfleet::aws {

Digest256 Sha256(std::span<const std::uint8_t> data) {
  Digest256 out{};
  ::SHA256(data.data(), data.size(), out.data());
  return out;
}

Digest256 Sha256(std::string_view data) {
  return Sha256(std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()));
}

Digest256 HmacSha256(std::span<const std::uint8_t> key, std::string_view data) {
  Digest256 out{};
  unsigned int length = 0;
  ::HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &length);
  return out;
}

std::string HexLower(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

std::string Sha256Hex(std::span<const std::uint8_t> data) { return HexLower(Sha256(data)); }
std::string Sha256Hex(std::string_view data) { return HexLower(Sha256(data)); }

std::string Md5Base64(std::span<const std::uint8_t> data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  ::EVP_Digest(data.data(), data.size(), digest, &length, EVP_md5(), nullptr);
  std::string out(4 * ((length + 2) / 3) + 1, '\0');
  const int written = ::EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), digest,
                                        static_cast<int>(length));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

}  // namespace maskfleet::aws
