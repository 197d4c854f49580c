#include "maskfleet/accounts/account_service.h"

#include <condition_variable>
#include <mutex>
#include <regex>

#include <gtest/gtest.h>

#include "maskfleet/mail/fake_mailer.h"
#include "maskfleet/schema/schema.h"
#include "maskfleet/storage/database.h"
#include "maskfleet/storage/testing/test_database.h"

namespace maskfleet::accounts {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A mailer whose Send waits until the test opens the gate: a request that waited for
// its mail would hang.
class GatedMailer : public mail::Mailer {
 public:
  Status Send(const mail::Message& message) override {
    std::unique_lock lock(mu_);
    opened_.wait(lock, [this] { return open_; });
    lock.unlock();
    return inner_.Send(message);
  }
  void Open() {
    {
      std::lock_guard lock(mu_);
      open_ = true;
    }
    opened_.notify_all();
  }
  std::vector<mail::Message> sent() const { return inner_.sent(); }

 private:
  std::mutex mu_;
  std::condition_variable opened_;
  bool open_ = false;  // guarded by mu_
  mail::FakeMailer inner_;
};

// Time-dependent behaviour (session and reset-link expiry, rate limits) on a
// simulated clock; the black-box suite (tests/worker) covers the rest over HTTP.
class AccountServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto scratch = storage::testing::OpenScratchSqlite(schema::Maskfleet(), clock_);
    ASSERT_TRUE(scratch.has_value()) << scratch.error().ToString();
    scratch_ = std::move(*scratch);
    db_ = scratch_.database.get();
    users_ = std::make_unique<accounts::UserStore>(*db_, clock_);
    sessions_ = std::make_unique<accounts::SessionStore>(*db_, clock_);
    resets_ = std::make_unique<accounts::ResetTokenStore>(*db_, clock_);
    throttles_ = std::make_unique<accounts::ThrottleStore>(*db_);
    AccountOptions options;
    options.hashing = auth::PasswordHashOptions::Minimum();
    options.session_ttl = std::chrono::hours(1);
    options.reset_ttl = std::chrono::minutes(30);
    options.public_url = "https://masks.example";
    options_ = options;
    accounts_ = std::make_unique<AccountService>(*users_, *sessions_, *resets_, *throttles_, mailer_, clock_,
                                                 options);
    ASSERT_TRUE(accounts_->CreateUser("pat", "pat-password", "pat@example.com", false).has_value());
  }

  // Another process on the same database (a second worker).
  std::unique_ptr<AccountService> Sibling(mail::Mailer& mailer) {
    return std::make_unique<AccountService>(*users_, *sessions_, *resets_, *throttles_, mailer, clock_,
                                            options_);
  }

  Result<accounts::User> Wrong(const char* address, const char* user = "pat") {
    return accounts_->CheckCredentials(user, "wrong-password", address);
  }

  std::string MailedToken() {
    accounts_->FlushResetMail();
    const std::vector<mail::Message> sent = mailer_.sent();
    EXPECT_FALSE(sent.empty());
    std::smatch m;
    const std::string body = sent.back().text_body;
    EXPECT_TRUE(
        std::regex_search(body, m, std::regex("https://masks\\.example/reset\\?token=([A-Za-z0-9_-]+)")));
    return m[1];
  }

  SimulatedClock clock_;
  mail::FakeMailer mailer_;
  storage::testing::ScratchSqlite scratch_;
  storage::Database* db_ = nullptr;  // scratch_'s
  std::unique_ptr<accounts::UserStore> users_;
  std::unique_ptr<accounts::SessionStore> sessions_;
  std::unique_ptr<accounts::ResetTokenStore> resets_;
  std::unique_ptr<accounts::ThrottleStore> throttles_;
  AccountOptions options_;
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
  ASSERT_TRUE(accounts_->RequestPasswordReset("pat", "10.0.0.1").has_value());
  const std::string first = MailedToken();
  ASSERT_TRUE(accounts_->ConfirmPasswordReset(first, "pat-new-password").has_value());
  EXPECT_FALSE(accounts_->ConfirmPasswordReset(first, "pat-other-password").has_value());
  EXPECT_TRUE(accounts_->CheckCredentials("pat", "pat-new-password", "10.0.0.1").has_value());

  ASSERT_TRUE(accounts_->RequestPasswordReset("pat", "10.0.0.1").has_value());
  const std::string second = MailedToken();
  clock_.Advance(std::chrono::minutes(31));
  Status late = accounts_->ConfirmPasswordReset(second, "pat-late-password");
  ASSERT_FALSE(late.has_value());
  EXPECT_EQ(late.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(late.error().message.find("expired"), std::string::npos);
}

TEST_F(AccountServiceTest, ResetForUnknownUserSendsNothingAndSucceeds) {
  EXPECT_TRUE(accounts_->RequestPasswordReset("nobody", "10.0.0.1").has_value());
  accounts_->FlushResetMail();
  EXPECT_TRUE(mailer_.sent().empty());
}

TEST_F(AccountServiceTest, FailedLoginsMakeTheAccountWaitLongerEachTime) {
  for (int i = 0; i < 10; ++i) ASSERT_EQ(Wrong("10.0.0.2").error().code, ErrorCode::kUnauthenticated) << i;
  // The 10th failure began a wait of 1 s, for every address that never signed in.
  Result<accounts::User> limited = accounts_->CheckCredentials("pat", "pat-password", "10.0.0.3");
  ASSERT_FALSE(limited.has_value());
  EXPECT_EQ(limited.error().code, ErrorCode::kResourceExhausted);
  ASSERT_TRUE(limited.error().retry_after.has_value());
  EXPECT_EQ(*limited.error().retry_after, seconds(1));
  EXPECT_NE(limited.error().message.find("account"), std::string::npos) << limited.error().message;
  clock_.Advance(milliseconds(999));
  EXPECT_EQ(Wrong("10.0.0.4").error().code, ErrorCode::kResourceExhausted) << "refused, and not counted";
  clock_.Advance(milliseconds(1));
  EXPECT_EQ(Wrong("10.0.0.4").error().code, ErrorCode::kUnauthenticated);  // the 11th: 2 s
  clock_.Advance(milliseconds(1999));
  EXPECT_EQ(Wrong("10.0.0.4").error().code, ErrorCode::kResourceExhausted);
  clock_.Advance(milliseconds(1));
  EXPECT_EQ(Wrong("10.0.0.4").error().code, ErrorCode::kUnauthenticated);  // the 12th: 4 s
  clock_.Advance(seconds(4));
  EXPECT_TRUE(accounts_->CheckCredentials("pat", "pat-password", "10.0.0.3").has_value());
}

// Ten wrong guesses by anyone used to block the right password for everyone.
TEST_F(AccountServiceTest, AnAddressThatSignedInBeforeIsNotHeldUpByTheAccountsWait) {
  ASSERT_TRUE(accounts_->CheckCredentials("pat", "pat-password", "192.0.2.7").has_value());
  for (int i = 0; i < 10; ++i) ASSERT_EQ(Wrong("203.0.113.9").error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(accounts_->CheckCredentials("pat", "pat-password", "198.51.100.1").error().code,
            ErrorCode::kResourceExhausted);
  EXPECT_TRUE(accounts_->CheckCredentials("pat", "pat-password", "192.0.2.7").has_value());
  EXPECT_TRUE(accounts_->CheckCredentials("PAT", "pat-password", "192.0.2.7").has_value());
  // Known for 30 days from the last sign-in.
  clock_.Advance(std::chrono::hours(24 * 30) + seconds(1));
  EXPECT_TRUE(accounts_->CheckCredentials("pat", "pat-password", "192.0.2.7").has_value())
      << "the account's wait is over by now";
}

TEST_F(AccountServiceTest, AnAddressWaitsAfterFiftyFailuresOnAnyAccounts) {
  for (int i = 0; i < 50; ++i) {
    const std::string account = "guess" + std::to_string(i);
    ASSERT_EQ(accounts_->CheckCredentials(account, "wrong-password", "203.0.113.9").error().code,
              ErrorCode::kUnauthenticated)
        << i;
  }
  Result<accounts::User> limited = accounts_->CheckCredentials("someone", "x-password", "203.0.113.9");
  ASSERT_FALSE(limited.has_value());
  EXPECT_EQ(limited.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(limited.error().message.find("address"), std::string::npos) << limited.error().message;
  EXPECT_EQ(Wrong("203.0.113.10", "someone").error().code, ErrorCode::kUnauthenticated);
}

// Each worker kept its own counts: N workers allowed N times the guesses, and a
// restart forgot them.
TEST_F(AccountServiceTest, EveryProcessSeesTheSameFailures) {
  mail::FakeMailer other_mailer;
  std::unique_ptr<AccountService> second = Sibling(other_mailer);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(Wrong("10.0.0.2").error().code, ErrorCode::kUnauthenticated);
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(second->CheckCredentials("pat", "wrong-password", "10.0.0.2").error().code,
              ErrorCode::kUnauthenticated);
  }
  EXPECT_EQ(second->CheckCredentials("pat", "pat-password", "10.0.0.5").error().code,
            ErrorCode::kResourceExhausted);
  accounts_.reset();  // a restart
  std::unique_ptr<AccountService> restarted = Sibling(mailer_);
  EXPECT_EQ(restarted->CheckCredentials("pat", "pat-password", "10.0.0.5").error().code,
            ErrorCode::kResourceExhausted);
}

TEST_F(AccountServiceTest, FailuresAreForgottenAfterFifteenQuietMinutes) {
  for (int i = 0; i < 9; ++i) ASSERT_EQ(Wrong("10.0.0.2").error().code, ErrorCode::kUnauthenticated);
  clock_.Advance(std::chrono::minutes(15) + milliseconds(1));
  ASSERT_EQ(Wrong("10.0.0.2").error().code, ErrorCode::kUnauthenticated);  // counts as the first
  EXPECT_TRUE(accounts_->CheckCredentials("pat", "pat-password", "10.0.0.3").has_value());
  // Without the quiet time, that would have been the 10th (10.0.0.3 is known by now).
  for (int i = 0; i < 9; ++i) ASSERT_EQ(Wrong("10.0.0.2").error().code, ErrorCode::kUnauthenticated);
  Result<accounts::User> waits = accounts_->CheckCredentials("pat", "pat-password", "10.0.0.8");
  ASSERT_FALSE(waits.has_value());
  EXPECT_EQ(waits.error().code, ErrorCode::kResourceExhausted);
}

TEST_F(AccountServiceTest, UsingOneResetLinkVoidsTheOthers) {
  ASSERT_TRUE(accounts_->RequestPasswordReset("pat", "10.0.0.1").has_value());
  const std::string first = MailedToken();
  ASSERT_TRUE(accounts_->RequestPasswordReset("pat", "10.0.0.1").has_value());
  const std::string second = MailedToken();
  ASSERT_NE(first, second);
  ASSERT_TRUE(accounts_->ConfirmPasswordReset(second, "pat-new-password").has_value());
  Status old = accounts_->ConfirmPasswordReset(first, "pat-attacker-password");
  ASSERT_FALSE(old.has_value());
  EXPECT_EQ(old.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(accounts_->CheckCredentials("pat", "pat-new-password", "10.0.0.1").has_value());
}

TEST_F(AccountServiceTest, ChangingThePasswordVoidsEveryResetLink) {
  ASSERT_TRUE(accounts_->RequestPasswordReset("pat", "10.0.0.1").has_value());
  const std::string link = MailedToken();
  Result<LoggedIn> in = accounts_->Login("pat", "pat-password", "10.0.0.1");
  ASSERT_TRUE(in.has_value());
  ASSERT_TRUE(accounts_->ChangePassword(in->user, "pat-password", "pat-changed-password").has_value());
  EXPECT_EQ(accounts_->ConfirmPasswordReset(link, "pat-attacker-password").error().code,
            ErrorCode::kInvalidArgument);
}

// 60 requests sent 60 mails in 1.7 s.
TEST_F(AccountServiceTest, ResetRequestsWaitPerNameAndPerAddress) {
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(accounts_->RequestPasswordReset("pat", "10.0.0.1").has_value()) << i;
  Status limited = accounts_->RequestPasswordReset("pat", "10.0.0.2");
  ASSERT_FALSE(limited.has_value());
  EXPECT_EQ(limited.error().code, ErrorCode::kResourceExhausted);
  EXPECT_EQ(*limited.error().retry_after, std::chrono::minutes(1));
  // The same for a name that does not exist: the answer tells nothing.
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(accounts_->RequestPasswordReset("nobody", "10.0.0.3").has_value());
  EXPECT_EQ(accounts_->RequestPasswordReset("NOBODY", "10.0.0.4").error().code,
            ErrorCode::kResourceExhausted);
  accounts_->FlushResetMail();
  EXPECT_EQ(mailer_.sent().size(), 3u);
  // Per address: the 10th request, whatever the names, starts a wait.
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(accounts_->RequestPasswordReset("name" + std::to_string(i), "10.0.0.9").has_value()) << i;
  }
  EXPECT_EQ(accounts_->RequestPasswordReset("another", "10.0.0.9").error().code,
            ErrorCode::kResourceExhausted);
  clock_.Advance(std::chrono::minutes(1));
  EXPECT_TRUE(accounts_->RequestPasswordReset("another", "10.0.0.9").has_value());
}

// The answer took 9.5 ms with a mail to send and 3.3 ms without: the mail went out on
// the request. Now the request only queues it.
TEST_F(AccountServiceTest, ResetRequestDoesNotWaitForTheMail) {
  GatedMailer gated;
  std::unique_ptr<AccountService> service = Sibling(gated);
  ASSERT_TRUE(service->RequestPasswordReset("pat", "10.0.0.1").has_value());
  ASSERT_TRUE(service->RequestPasswordReset("nobody", "10.0.0.1").has_value());
  EXPECT_TRUE(gated.sent().empty()) << "the requests returned before the mail went out";
  gated.Open();
  service->FlushResetMail();
  ASSERT_EQ(gated.sent().size(), 1u);
  EXPECT_EQ(gated.sent()[0].to, "pat@example.com");
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
  AccountService service(*users_, *sessions_, *resets_, *throttles_, mailer_, clock_, closed);
  EXPECT_EQ(service.Register("sam", "sam-password").error().code, ErrorCode::kPermissionDenied);
}

}  // namespace
}  // namespace maskfleet::accounts
