#include "maskfleet/aws/sigv4.h"

#include <gtest/gtest.h>

#include "maskfleet/aws/crypto.h"

namespace maskfleet::aws {
namespace {

using std::chrono::sys_days;
using namespace std::chrono_literals;

TEST(AwsSigv4Test, FormEncodeFollowsWhatAwsVerifies) {
  // Unreserved characters stay, space is '+', everything else upper-case %XX
  // (curl_easy_escape's "%20" and a raw '/' are both refused by AWS).
  EXPECT_EQ(FormEncode("AZaz09-_.~"), "AZaz09-_.~");
  EXPECT_EQ(FormEncode("a b"), "a+b");
  EXPECT_EQ(FormEncode("a/b"), "a%2Fb");
  EXPECT_EQ(FormEncode("a+b=c&d"), "a%2Bb%3Dc%26d");
  EXPECT_EQ(FormEncode("*"), "%2A");
  EXPECT_EQ(FormEncode("\xc3\xa9"), "%C3%A9");  // UTF-8 bytes one by one
  EXPECT_EQ(FormEncode(""), "");
  EXPECT_EQ(FormBody({{"Action", "DescribeInstances"}, {"Filter.1.Value.1", "maskfleet pool/a"}}),
            "Action=DescribeInstances&Filter.1.Value.1=maskfleet+pool%2Fa");
}

TEST(AwsSigv4Test, UriEncodeKeepsSlashOnlyWhenAsked) {
  EXPECT_EQ(UriEncode("a b/c"), "a%20b%2Fc");
  EXPECT_EQ(UriEncode("a b/c", /*keep_slash=*/true), "a%20b/c");
  EXPECT_EQ(UriEncode("~x-y_z.jpg"), "~x-y_z.jpg");
  EXPECT_EQ(UriEncode("+"), "%2B");
}

TEST(AwsSigv4Test, CanonicalQueryStringSortsAndAlwaysWritesEquals) {
  // The two forms moto and S3 refused from curl: "?delete" without '=', unsorted names.
  EXPECT_EQ(CanonicalQueryString({{"delete", ""}}), "delete=");
  EXPECT_EQ(CanonicalQueryString({{"prefix", "images/4"}, {"list-type", "2"}}),
            "list-type=2&prefix=images%2F4");
  // Same name twice: ordered by value.
  EXPECT_EQ(CanonicalQueryString({{"a", "2"}, {"a", "1"}, {"B", "x"}}), "B=x&a=1&a=2");
  EXPECT_EQ(CanonicalQueryString({}), "");
}

TEST(AwsSigv4Test, AmzDateFormats) {
  const auto t = sys_days(std::chrono::year(2013) / 5 / 24) + 1h + 2min + 3s + 999ms;
  EXPECT_EQ(AmzDate(t), "20130524T010203Z");
  EXPECT_EQ(AmzDateStamp(t), "20130524");
}

TEST(AwsSigv4Test, HashesMatchKnownValues) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const std::string body = "abc";
  EXPECT_EQ(Md5Base64(std::span(reinterpret_cast<const std::uint8_t*>(body.data()), body.size())),
            "kAFQmDzST7DWlj99KOF/cg==");
}

// AWS's published example of a presigned GET (Amazon S3 API reference,
// "Authenticating Requests: Using Query Parameters", examplebucket/test.txt).
PresignRequest AwsExample() {
  return PresignRequest{.method = "GET",
                        .origin = "https://examplebucket.s3.amazonaws.com",
                        .path = "/test.txt",
                        .region = "us-east-1",
                        .service = "s3",
                        .signed_at = sys_days(std::chrono::year(2013) / 5 / 24),
                        .expires = 86400s};
}
const Credentials kExampleKeys{.access_key_id = "AKIAIOSFODNN7EXAMPLE",
                               .secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"};

TEST(AwsSigv4Test, PresignerReproducesAwsPublishedExample) {
  const std::string canonical = PresignCanonicalRequest(AwsExample(), kExampleKeys);
  EXPECT_EQ(canonical,
            "GET\n/test.txt\n"
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2F"
            "us-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&"
            "X-Amz-SignedHeaders=host\nhost:examplebucket.s3.amazonaws.com\n\nhost\nUNSIGNED-PAYLOAD");
  EXPECT_EQ(Sha256Hex(canonical), "3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04");
  EXPECT_EQ(PresignUrl(AwsExample(), kExampleKeys),
            "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&"
            "X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&"
            "X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&"
            "X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

TEST(AwsSigv4Test, PresignerSignsEverythingThatChangesTheRequest) {
  const std::string base = PresignUrl(AwsExample(), kExampleKeys);
  auto other_path = AwsExample();
  other_path.path = "/test.txu";
  auto other_expiry = AwsExample();
  other_expiry.expires = 86399s;
  auto other_secret = kExampleKeys;
  other_secret.secret_access_key.back() = 'X';
  auto signature = [](const std::string& url) { return url.substr(url.rfind('=') + 1); };
  EXPECT_NE(signature(PresignUrl(other_path, kExampleKeys)), signature(base));
  EXPECT_NE(signature(PresignUrl(other_expiry, kExampleKeys)), signature(base));
  EXPECT_NE(signature(PresignUrl(AwsExample(), other_secret)), signature(base));
}

TEST(AwsSigv4Test, PresignerCarriesSessionTokenAndEncodesKeys) {
  auto request = AwsExample();
  request.path = "/bucket/images/1/a b+c.jpg";
  auto keys = kExampleKeys;
  keys.session_token = "tok/en=";
  const std::string url = PresignUrl(request, keys);
  EXPECT_TRUE(url.starts_with("https://examplebucket.s3.amazonaws.com/bucket/images/1/a%20b%2Bc.jpg?"))
      << url;
  EXPECT_NE(url.find("&X-Amz-Security-Token=tok%2Fen%3D&"), std::string::npos) << url;
  EXPECT_NE(PresignCanonicalRequest(request, keys).find("X-Amz-Security-Token=tok%2Fen%3D"),
            std::string::npos);
}

}  // namespace
}  // namespace maskfleet::aws
