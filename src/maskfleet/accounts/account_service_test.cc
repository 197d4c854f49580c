#include "maskfleet/accounts/account_service.h"

#include <regex>

#include <gtest/gtest.h>

#include "maskfleet/mail/fake_mailer.h"
#include "maskfleet/schema/schema.h"
#include "maskfleet/storage/database.h"
#include "maskfleet/storage/testing/test_database.h"

namespace maskfleet::accounts {
namespace {

// Time-dependent behaviour (session and reset-link expiry, rate limits) on a
// simulated clock; the black-box suite (tests/worker) covers the rest over HTTP.
class AccountServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    scratch_ = std::move(*storage::testing::ScratchDatabase::Create("sqlite", ""));
    db_ = std::move(*storage::Database::Open({.url = scratch_->url(), .migrations = schema::Maskfleet()}, clock_));
    users_ = std::make_unique<accounts::UserStore>(*db_, clock_);
    sessions_ = std::make_unique<accounts::SessionStore>(*db_, clock_);
    resets_ = std::make_unique<accounts::ResetTokenStore>(*db_, clock_);
    AccountOptions options;
    options.hashing = auth::PasswordHashOptions::Minimum();
    options.session_ttl = std::chrono::hours(1);
    options.reset_ttl = std::chrono::minutes(30);
    options.public_url = "https://masks.example";
    accounts_ = std::make_unique<AccountService>(*users_, *sessions_, *resets_, mailer_, clock_, options);
    ASSERT_TRUE(accounts_->CreateUser("pat", "pat-password", "pat@example.com", false).has_value());
  }

  std::string MailedToken() {
    const std::vector<mail::Message> sent = mailer_.sent();
    EXPECT_FALSE(sent.empty());
    std::smatch m;
    const std::string body = sent.back().text_body;
    EXPECT_TRUE(std::regex_search(body, m, std::regex("https://masks\\.example/reset\\?token=([A-Za-z0-9_-]+)")));
    return m[1];
  }

  SimulatedClock clock_;
  mail::FakeMailer mailer_;
  std::unique_ptr<storage::testing::ScratchDatabase> scratch_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<accounts::UserStore> users_;
  std::unique_ptr<accounts::SessionStore> sessions_;
  std::unique_ptr<accounts::ResetTokenStore> resets_;
  std::unique_ptr<AccountService> accounts_;
};

TEST_F(AccountServiceTest, SessionExpiresWithoutUseAndUseExtendsIt) {
  Result<LoggedIn> in = accounts_->Login("pat", "pat-password", "10.0.0.1");
  ASSERT_TRUE(in.has_value()) << in.error().ToString();
  clock_.Advance(std::chrono::minutes(50));
  ASSERT_TRUE(accounts_->ResolveSession(in->session_token).has_value());  // extends to +1 h
  clock_.Advance(std::chrono::minutes(50));
  ASSERT_TRUE(accounts_->ResolveSession(in->session_token).has_value());
  clock_.Advance(std::chrono::minutes(61));
  Result<accounts::SessionWithUser> gone = accounts_->ResolveSession(in->session_token);
  ASSERT_FALSE(gone.has_value());
  EXPECT_EQ(gone.error().code, ErrorCode::kUnauthenticated);
}

TEST_F(AccountServiceTest, ResetLinkWorksOnceAndExpires) {
  ASSERT_TRUE(accounts_->RequestPasswordReset("pat").has_value());
  const std::string first = MailedToken();
  ASSERT_TRUE(accounts_->ConfirmPasswordReset(first, "pat-new-password").has_value());
  EXPECT_FALSE(accounts_->ConfirmPasswordReset(first, "pat-other-password").has_value());
  EXPECT_TRUE(accounts_->CheckCredentials("pat", "pat-new-password", "10.0.0.1").has_value());

  ASSERT_TRUE(accounts_->RequestPasswordReset("pat").has_value());
  const std::string second = MailedToken();
  clock_.Advance(std::chrono::minutes(31));
  Status late = accounts_->ConfirmPasswordReset(second, "pat-late-password");
  ASSERT_FALSE(late.has_value());
  EXPECT_EQ(late.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(late.error().message.find("expired"), std::string::npos);
}

TEST_F(AccountServiceTest, ResetForUnknownUserSendsNothingAndSucceeds) {
  EXPECT_TRUE(accounts_->RequestPasswordReset("nobody").has_value());
  EXPECT_TRUE(mailer_.sent().empty());
}

TEST_F(AccountServiceTest, FailedLoginsAreRateLimitedUntilTheWindowPasses) {
  for (int i = 0; i < 10; ++i) {
    Result<accounts::User> wrong = accounts_->CheckCredentials("pat", "wrong-password", "10.0.0.2");
    ASSERT_EQ(wrong.error().code, ErrorCode::kUnauthenticated);
  }
  Result<accounts::User> limited = accounts_->CheckCredentials("pat", "pat-password", "10.0.0.3");
  ASSERT_FALSE(limited.has_value());
  EXPECT_EQ(limited.error().code, ErrorCode::kResourceExhausted);
  ASSERT_TRUE(limited.error().retry_after.has_value());
  EXPECT_GT(limited.error().retry_after->count(), 0);
  clock_.Advance(*limited.error().retry_after + std::chrono::seconds(1));
  EXPECT_TRUE(accounts_->CheckCredentials("pat", "pat-password", "10.0.0.3").has_value());
}

TEST_F(AccountServiceTest, PasswordChangeEndsEverySessionAndOpensANewOne) {
  Result<LoggedIn> phone = accounts_->Login("pat", "pat-password", "10.0.0.1");
  Result<LoggedIn> laptop = accounts_->Login("pat", "pat-password", "10.0.0.1");
  Result<LoggedIn> changed = accounts_->ChangePassword(laptop->user, "pat-password", "pat-password-2");
  ASSERT_TRUE(changed.has_value()) << changed.error().ToString();
  EXPECT_FALSE(accounts_->ResolveSession(phone->session_token).has_value());
  EXPECT_FALSE(accounts_->ResolveSession(laptop->session_token).has_value());
  EXPECT_TRUE(accounts_->ResolveSession(changed->session_token).has_value());
  // The credential cache must not accept the old password after the change.
  EXPECT_FALSE(accounts_->CheckCredentials("pat", "pat-password", "10.0.0.4").has_value());
}

TEST_F(AccountServiceTest, LastAdministratorAndSelfCannotBeDeleted) {
  Result<accounts::User> admin = accounts_->CreateUser("root", "root-password", std::nullopt, true);
  Result<accounts::User> other = accounts_->CreateUser("ops", "ops-password", std::nullopt, false);
  EXPECT_EQ(accounts_->DeleteUser(admin->id, admin->id).error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(accounts_->DeleteUser(other->id, admin->id).error().code, ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(accounts_->DeleteUser(admin->id, other->id).has_value());
}

TEST_F(AccountServiceTest, RegisterSwitchedOffIsPermissionDenied) {
  AccountOptions closed;
  closed.register_enabled = false;
  AccountService service(*users_, *sessions_, *resets_, mailer_, clock_, closed);
  EXPECT_EQ(service.Register("sam", "sam-password").error().code, ErrorCode::kPermissionDenied);
}

}  // namespace
}  // namespace maskfleet::accounts
