// The client over a scripted transport: what it sends for each protocol, how it reads
// recorded answers and errors, and when it retries, on a simulated clock.
#include "maskfleet/aws/client.h"

#include <gtest/gtest.h>

#include "maskfleet/aws/fake_transport.h"
#include "maskfleet/common/clock.h"

namespace maskfleet::aws {
namespace {

using namespace std::chrono_literals;

// Returns the values it was given, in turn.
class ScriptedRandom : public RandomSource {
 public:
  explicit ScriptedRandom(std::vector<std::uint64_t> values) : values_(std::move(values)) {}
  std::uint64_t Next() override { return values_[next_++ % values_.size()]; }

 private:
  std::vector<std::uint64_t> values_;
  std::size_t next_ = 0;
};

TEST(AwsBackoffTest, FullJitterUnderADoublingCappedCeiling) {
  // Each delay stays under its step's ceiling: 100, 200, 400, 800, then the cap.
  ScriptedRandom top({~std::uint64_t{0}});
  JitteredExponentialBackoff backoff(100ms, 1000ms, top);
  std::vector<long> delays;
  for (int i = 0; i < 6; ++i) delays.push_back(static_cast<long>(backoff.NextBackOff().count()));
  const std::vector<long> ceilings{100, 200, 400, 800, 1000, 1000};
  for (std::size_t i = 0; i < delays.size(); ++i) {
    EXPECT_LT(delays[i], ceilings[i]) << i;
    EXPECT_GE(delays[i], 0) << i;
  }
  ScriptedRandom values({150, 150, 150, 150});
  JitteredExponentialBackoff exact(100ms, 1000ms, values);
  EXPECT_EQ(exact.NextBackOff(), 50ms);   // 150 % 100
  EXPECT_EQ(exact.NextBackOff(), 150ms);  // 150 % 200
  EXPECT_EQ(exact.NextBackOff(), 150ms);  // 150 % 400
  exact.Reset();
  EXPECT_EQ(exact.NextBackOff(), 50ms);
}

TEST(AwsBackoffTest, HugeAttemptCountsStayAtTheCap) {
  ScriptedRandom values({999'999});
  JitteredExponentialBackoff backoff(100ms, 5000ms, values);
  for (int i = 0; i < 200; ++i) EXPECT_LT(backoff.NextBackOff(), 5000ms);
}

class AwsClientTest : public ::testing::Test {
 protected:
  AwsClientTest() {
    transport_ = std::make_shared<FakeTransport>();
    client_ = std::make_unique<Client>(Options());
  }

  ClientOptions Options() {
    ClientOptions options{
        .region = "eu-west-1",
        .credentials = std::make_shared<StaticCredentialsProvider>(
            Credentials{.access_key_id = "AKID", .secret_access_key = "SECRET", .session_token = "TOKEN"}),
        .transport = transport_,
        .env = [](std::string_view) -> std::optional<std::string> { return std::nullopt; },
        .endpoints = {{"ec2", "http://127.0.0.1:1/"},
                      {"s3", "http://127.0.0.1:2"},
                      {"elasticloadbalancing", "http://127.0.0.1:3"},
                      {"secretsmanager", "http://127.0.0.1:4"}},
        .retry = {.max_attempts = 4, .base_delay = 100ms, .max_delay = 1000ms},
        .random = std::make_shared<ScriptedRandom>(std::vector<std::uint64_t>{~std::uint64_t{0} - 1}),
        .sleep =
            [this](std::chrono::milliseconds d) {
              clock_.Advance(d);
              sleeps_.push_back(d);
            }};
    return options;
  }

  std::shared_ptr<FakeTransport> transport_;
  std::unique_ptr<Client> client_;
  SimulatedClock clock_;
  std::vector<std::chrono::milliseconds> sleeps_;
};

// Recorded from moto 5.2.5 (DescribeInstances, trimmed).
constexpr char kDescribeInstancesAnswer[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>fdcdcab1-ae5c-489e-9c33-4637c5dda355</requestId>
  <reservationSet><item><reservationId>r-1</reservationId><instancesSet><item>
    <instanceId>i-0123456789abcdef0</instanceId><instanceState><code>16</code><name>running</name></instanceState>
    <privateIpAddress>10.0.1.7</privateIpAddress>
  </item></instancesSet></item></reservationSet>
</DescribeInstancesResponse>)";

TEST_F(AwsClientTest, QuerySendsSignedFormAndReadsTheAnswer) {
  transport_->Answer(200, kDescribeInstancesAnswer);
  auto answer = client_->Query(kEc2, "DescribeInstances",
                               {{"Filter.1.Name", "tag:maskfleet:pool"}, {"Filter.1.Value.1", "a b"}},
                               Idempotency::kIdempotent);
  ASSERT_TRUE(answer) << answer.error().ToString();
  EXPECT_EQ(answer->request_id, "fdcdcab1-ae5c-489e-9c33-4637c5dda355");
  auto instance = answer->root().child("reservationSet").child("item").child("instancesSet").child("item");
  EXPECT_EQ(ChildText(instance, "instanceId"), "i-0123456789abcdef0");
  EXPECT_EQ(ChildText(instance.child("instanceState"), "name"), "running");

  const auto requests = transport_->requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].url, "http://127.0.0.1:1/");  // the configured endpoint's slash not doubled
  EXPECT_EQ(requests[0].body,
            "Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=tag%3Amaskfleet%3Apool&"
            "Filter.1.Value.1=a+b");
  ASSERT_TRUE(requests[0].signing.has_value());
  EXPECT_EQ(requests[0].signing->region, "eu-west-1");
  EXPECT_EQ(requests[0].signing->service, "ec2");
  EXPECT_EQ(requests[0].signing->credentials.session_token, "TOKEN");
  EXPECT_EQ(requests[0].headers.at(0).second, "application/x-www-form-urlencoded; charset=utf-8");
}

TEST_F(AwsClientTest, RestSortsQueryAndHashesPayload) {
  transport_->Answer(200, "");
  Client::RestRequest request{.method = "POST", .path = "/bucket", .query = {{"delete", ""}}, .body = "abc"};
  ASSERT_TRUE(client_->Rest(kS3, "DeleteObjects", request, Idempotency::kIdempotent));
  const auto sent = transport_->requests().at(0);
  EXPECT_EQ(sent.url, "http://127.0.0.1:2/bucket?delete=");
  EXPECT_EQ(sent.signing->service, "s3");
  bool hashed = false;
  for (const auto& [name, value] : sent.headers) {
    if (name == "x-amz-content-sha256") {
      hashed = value == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    }
  }
  EXPECT_TRUE(hashed);
}

TEST_F(AwsClientTest, JsonNamesTheTargetAndReadsTheAnswer) {
  transport_->Answer(200, R"({"ARN":"arn:aws:secretsmanager:eu-west-1:1:secret:db","SecretString":"pw"})");
  auto answer = client_->Json(kSecretsManager, "secretsmanager", "GetSecretValue", {{"SecretId", "db"}},
                              Idempotency::kIdempotent);
  ASSERT_TRUE(answer) << answer.error().ToString();
  EXPECT_EQ((*answer)["SecretString"], "pw");
  const auto sent = transport_->requests().at(0);
  EXPECT_EQ(sent.body, R"({"SecretId":"db"})");
  EXPECT_EQ(sent.headers.at(1).second, "secretsmanager.GetSecretValue");
  EXPECT_EQ(sent.headers.at(0).second, "application/x-amz-json-1.1");
}

TEST_F(AwsClientTest, ThrottlingIsRetriedWithGrowingBackoffThenSucceeds) {
  const char* throttled = R"(<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>
    <Message>Rate exceeded</Message></Error><RequestId>r1</RequestId></ErrorResponse>)";
  transport_->Answer(400, throttled);
  transport_->Answer(400, throttled);
  transport_->Answer(200, "<DescribeTargetHealthResponse/>");
  const auto start = clock_.Now();
  // Not idempotent, yet retried: a throttled call was not acted on.
  auto answer = client_->Query(kElbv2, "RegisterTargets", {}, Idempotency::kNotIdempotent);
  ASSERT_TRUE(answer) << answer.error().ToString();
  EXPECT_EQ(transport_->requests().size(), 3u);
  // Random value 2^64-2 taken modulo 100 and 200.
  EXPECT_EQ(sleeps_, (std::vector<std::chrono::milliseconds>{
                         std::chrono::milliseconds((~std::uint64_t{0} - 1) % 100),
                         std::chrono::milliseconds((~std::uint64_t{0} - 1) % 200)}));
  EXPECT_EQ(clock_.Now() - start, sleeps_[0] + sleeps_[1]);
}

TEST_F(AwsClientTest, ServerErrorsRetriedUpToTheLimitThenReported) {
  for (int i = 0; i < 4; ++i) {
    transport_->Answer(500,
                       "<Error><Code>InternalError</Code><Message>We encountered an internal "
                       "error.</Message><RequestId>RID</RequestId></Error>");
  }
  auto result = client_->Rest(kS3, "GetObject", {.path = "/b/k"}, Idempotency::kIdempotent);
  ASSERT_FALSE(result);
  EXPECT_EQ(transport_->requests().size(), 4u);  // max_attempts, not one more
  EXPECT_EQ(sleeps_.size(), 3u);
  EXPECT_EQ(result.error().http_status, 500);
  EXPECT_EQ(result.error().code, "InternalError");
  EXPECT_EQ(result.error().request_id, "RID");
  const Error error = ToError(result.error());
  EXPECT_EQ(error.code, ErrorCode::kUnavailable);
  EXPECT_EQ(error.message,
            "s3 GetObject: InternalError: We encountered an internal error. (after 4 attempts) "
            "(HTTP 500, request id RID)");
}

TEST_F(AwsClientTest, NonIdempotentCallIsNotRepeatedAfterAServerError) {
  transport_->Answer(503,
                     "<Response><Errors><Error><Code>Unavailable</Code><Message>x</Message>"
                     "</Error></Errors><RequestID>E</RequestID></Response>");
  transport_->Answer(200, "<RunInstancesResponse/>");
  auto result = client_->Query(kEc2, "RunInstances", {}, Idempotency::kNotIdempotent);
  ASSERT_FALSE(result);
  EXPECT_EQ(transport_->requests().size(), 1u);
  EXPECT_TRUE(sleeps_.empty());
  EXPECT_EQ(result.error().request_id, "E");
  EXPECT_EQ(ToErrorCode(result.error()), ErrorCode::kUnavailable);
}

TEST_F(AwsClientTest, LostConnectionRetriedOnlyWhenIdempotent) {
  transport_->FailConnection();
  transport_->Answer(200, "<DescribeInstancesResponse/>");
  EXPECT_TRUE(client_->Query(kEc2, "DescribeInstances", {}, Idempotency::kIdempotent));
  EXPECT_EQ(transport_->requests().size(), 2u);

  transport_->FailConnection("reset by peer");
  auto lost = client_->Query(kEc2, "RunInstances", {}, Idempotency::kNotIdempotent);
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().kind, AwsError::Kind::kConnection);
  EXPECT_EQ(ToErrorCode(lost.error()), ErrorCode::kUnavailable);
  EXPECT_EQ(transport_->requests().size(), 3u);
}

TEST_F(AwsClientTest, ClientErrorsAreNotRetried) {
  transport_->Answer(403, R"(<?xml version="1.0" encoding="UTF-8"?>
<ErrorResponse><Error><Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/worker is not authorized to perform: elasticloadbalancing:RegisterTargets</Message></Error><RequestId>Q1</RequestId></ErrorResponse>)");
  auto result = client_->Query(kElbv2, "RegisterTargets", {}, Idempotency::kIdempotent);
  ASSERT_FALSE(result);
  EXPECT_EQ(transport_->requests().size(), 1u);
  const Error error = ToError(result.error());
  EXPECT_EQ(error.code, ErrorCode::kPermissionDenied);
  EXPECT_NE(error.message.find("elasticloadbalancing RegisterTargets: AccessDenied: User: "),
            std::string::npos)
      << error.message;
  EXPECT_NE(error.message.find("request id Q1"), std::string::npos);
}

TEST_F(AwsClientTest, UnreadableSuccessAnswerIsInternal) {
  transport_->Answer(200, "<not xml");
  auto result = client_->Query(kEc2, "DescribeInstances", {}, Idempotency::kIdempotent);
  ASSERT_FALSE(result);
  EXPECT_EQ(ToErrorCode(result.error()), ErrorCode::kInternal);
}

TEST_F(AwsClientTest, MissingCredentialsStopBeforeSending) {
  auto options = Options();
  options.credentials = std::make_shared<StaticCredentialsProvider>(Credentials{});
  struct NoCredentials : CredentialsProvider {
    Result<Credentials> Get() override { return MakeError(ErrorCode::kUnauthenticated, "none"); }
  };
  options.credentials = std::make_shared<NoCredentials>();
  Client client(options);
  auto result = client.Query(kEc2, "DescribeInstances", {}, Idempotency::kIdempotent);
  ASSERT_FALSE(result);
  EXPECT_EQ(ToErrorCode(result.error()), ErrorCode::kUnauthenticated);
  EXPECT_TRUE(transport_->requests().empty());
}

// Error answers in each protocol's shape, and the code a caller acts on.
TEST(AwsErrorTest, ReadsEveryShapeAndMapsCodes) {
  struct Case {
    long status;
    std::string body;
    Headers headers;
    std::string code;
    std::string request_id;
    ErrorCode mapped;
  };
  const std::vector<Case> cases = {
      {401,
       "<Response><Errors><Error><Code>AuthFailure</Code><Message>AWS was not able to validate "
       "the provided access credentials</Message></Error></Errors><RequestID>R</RequestID></Response>",
       {},
       "AuthFailure",
       "R",
       ErrorCode::kUnauthenticated},
      {403,
       "<Error><Code>SignatureDoesNotMatch</Code><Message>m</Message><RequestId>S</RequestId></Error>",
       {},
       "SignatureDoesNotMatch",
       "S",
       ErrorCode::kUnauthenticated},
      {404,
       "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>",
       {{"x-amz-request-id", "H"}},
       "NoSuchKey",
       "H",
       ErrorCode::kNotFound},
      {400,
       "<Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code><Message>m</Message>"
       "</Error></Errors></Response>",
       {},
       "InvalidInstanceID.NotFound",
       "",
       ErrorCode::kNotFound},
      {400,
       "<Response><Errors><Error><Code>InvalidInstanceID.Malformed</Code></Error></Errors></Response>",
       {},
       "InvalidInstanceID.Malformed",
       "",
       ErrorCode::kInvalidArgument},
      {400,
       R"({"__type":"com.amazonaws.secretsmanager#ResourceNotFoundException","message":"gone"})",
       {{"x-amzn-requestid", "J"}},
       "ResourceNotFoundException",
       "J",
       ErrorCode::kNotFound},
      {400,
       R"({"__type":"AccessDeniedException","Message":"no"})",
       {},
       "AccessDeniedException",
       "",
       ErrorCode::kPermissionDenied},
      {503, "<Error><Code>SlowDown</Code></Error>", {}, "SlowDown", "", ErrorCode::kUnavailable},
      {400,
       "<Response><Errors><Error><Code>RequestLimitExceeded</Code></Error></Errors></Response>",
       {},
       "RequestLimitExceeded",
       "",
       ErrorCode::kUnavailable},
      {400,
       "<Response><Errors><Error><Code>InstanceLimitExceeded</Code></Error></Errors></Response>",
       {},
       "InstanceLimitExceeded",
       "",
       ErrorCode::kResourceExhausted},
      {400,
       "<ErrorResponse><Error><Code>ValidationError</Code></Error></ErrorResponse>",
       {},
       "ValidationError",
       "",
       ErrorCode::kInvalidArgument},
      {409,
       "<Error><Code>BucketAlreadyOwnedByYou</Code></Error>",
       {},
       "BucketAlreadyOwnedByYou",
       "",
       ErrorCode::kAlreadyExists},
      {403, "", {}, "", "", ErrorCode::kPermissionDenied},  // HEAD answers have no body
      {502, "<html>bad gateway</html>", {}, "", "", ErrorCode::kUnavailable},
      {501,
       "<Error><Code>NotImplemented</Code><Message>A header you provided implies functionality that is "
       "not implemented</Message></Error>",
       {},
       "NotImplemented",
       "",
       ErrorCode::kUnimplemented},
      {400,
       "<Response><Errors><Error><Code>UnsupportedOperation</Code></Error></Errors></Response>",
       {},
       "UnsupportedOperation",
       "",
       ErrorCode::kUnimplemented},
      {415, "", {}, "", "", ErrorCode::kUnsupportedMediaType},
  };
  for (const auto& c : cases) {
    AwsError error{.kind = AwsError::Kind::kService, .http_status = c.status};
    ParseErrorAnswer(HttpResponse{c.status, c.headers, c.body}, error);
    EXPECT_EQ(error.code, c.code) << c.body;
    EXPECT_EQ(error.request_id, c.request_id) << c.body;
    EXPECT_EQ(ToErrorCode(error), c.mapped) << c.body;
  }
}

TEST(AwsErrorTest, UnavailableErrorsSayWhenToRetryOthersDoNot) {
  auto convert = [](long status, std::string body, Headers headers = {}) {
    AwsError error{
        .kind = AwsError::Kind::kService, .service = "s3", .operation = "GetObject", .http_status = status};
    ParseErrorAnswer(HttpResponse{status, std::move(headers), std::move(body)}, error);
    return ToError(error);
  };
  using std::chrono::milliseconds;
  // Throttled: 2 s; a 5xx: 1 s; the service's own Retry-After wins, up to 60 s.
  Error throttled = convert(
      400, "<ErrorResponse><Error><Code>Throttling</Code></Error><RequestId>T</RequestId></ErrorResponse>");
  EXPECT_EQ(throttled.code, ErrorCode::kUnavailable);
  EXPECT_EQ(throttled.retry_after, milliseconds(2000));
  EXPECT_NE(throttled.message.find("request id T"), std::string::npos) << throttled.message;
  EXPECT_EQ(convert(503, "<Error><Code>SlowDown</Code></Error>").retry_after, milliseconds(2000));
  EXPECT_EQ(convert(500, "<Error><Code>InternalError</Code></Error>").retry_after, milliseconds(1000));
  EXPECT_EQ(convert(503, "", {{"retry-after", "7"}}).retry_after, milliseconds(7000));
  EXPECT_EQ(convert(503, "", {{"retry-after", "60"}}).retry_after, milliseconds(60000));
  EXPECT_EQ(convert(503, "", {{"retry-after", "61"}}).retry_after, milliseconds(60000));
  EXPECT_EQ(convert(503, "", {{"retry-after", "Wed, 21 Oct 2026 07:28:00 GMT"}}).retry_after,
            milliseconds(1000));
  // A lost connection too.
  Error lost = ToError(AwsError{.kind = AwsError::Kind::kConnection,
                                .service = "ec2",
                                .operation = "DescribeInstances",
                                .local_code = ErrorCode::kUnavailable});
  EXPECT_EQ(lost.code, ErrorCode::kUnavailable);
  EXPECT_EQ(lost.retry_after, milliseconds(1000));
  // Not worth retrying: no hint, and 501 is not retried at all.
  EXPECT_FALSE(convert(403, "<Error><Code>AccessDenied</Code></Error>").retry_after);
  EXPECT_FALSE(convert(404, "<Error><Code>NoSuchKey</Code></Error>").retry_after);
  AwsError not_implemented{.kind = AwsError::Kind::kService, .http_status = 501};
  EXPECT_FALSE(not_implemented.IsRetryable());
  EXPECT_FALSE(ToError(not_implemented).retry_after);
  // Kept through the context an adapter adds.
  EXPECT_EQ(throttled.WithContext("bucket/key").retry_after, milliseconds(2000));
}

TEST(AwsEndpointTest, ConfigurationThenServiceVariableThenGlobalThenProfileThenAws) {
  std::map<std::string, std::string> vars;
  Environment env = [&vars](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  EXPECT_EQ(ResolveEndpoint(kElbv2, "eu-west-1", env, "", ""),
            "https://elasticloadbalancing.eu-west-1.amazonaws.com");
  EXPECT_EQ(ResolveEndpoint(kCloudWatch, "us-east-2", env, "", "http://profile:1/"), "http://profile:1");
  vars["AWS_ENDPOINT_URL"] = "http://global:2";
  EXPECT_EQ(ResolveEndpoint(kCloudWatch, "us-east-2", env, "", "http://profile:1"), "http://global:2");
  vars["AWS_ENDPOINT_URL_CLOUDWATCH"] = "http://cw:3/";
  EXPECT_EQ(ResolveEndpoint(kCloudWatch, "us-east-2", env, "", ""), "http://cw:3");
  EXPECT_EQ(ResolveEndpoint(kS3, "us-east-2", env, "", ""), "http://global:2");
  EXPECT_EQ(ResolveEndpoint(kCloudWatch, "us-east-2", env, "http://config:4", ""), "http://config:4");
  vars["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] = "true";
  EXPECT_EQ(ResolveEndpoint(kCloudWatch, "us-east-2", env, "", "http://profile:1"),
            "https://monitoring.us-east-2.amazonaws.com");
  EXPECT_EQ(ResolveEndpoint(kCloudWatch, "us-east-2", env, "http://config:4", ""), "http://config:4");
}

}  // namespace
}  // namespace maskfleet::aws
