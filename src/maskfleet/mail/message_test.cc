#include "maskfleet/mail/message.h"

#include <gtest/gtest.h>

#include "maskfleet/mail/fake_mailer.h"

namespace maskfleet::mail {
namespace {

const Clock::TimePoint kDate{std::chrono::seconds(1'795'811'135)};  // Fri, 27 Nov 2026 20:25:35 UTC

Envelope TestEnvelope() {
  return Envelope{"noreply@maskfleet.test", "maskfleet", kDate, "id1@maskfleet.test"};
}

TEST(BuildMessageTest, WritesHeadersAndBodyWithCrlf) {
  Result<std::string> text = BuildMessage(
      Message{"ann@example.com", "Reset your password", "Hello Ann,\nopen https://x.test/r?t=abc\n"},
      TestEnvelope());
  ASSERT_TRUE(text) << text.error().ToString();
  EXPECT_EQ(*text,
            "Date: Fri, 27 Nov 2026 20:25:35 +0000\r\n"
            "From: \"maskfleet\" <noreply@maskfleet.test>\r\n"
            "To: <ann@example.com>\r\n"
            "Subject: Reset your password\r\n"
            "Message-ID: <id1@maskfleet.test>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 7bit\r\n"
            "\r\n"
            "Hello Ann,\r\n"
            "open https://x.test/r?t=abc\r\n");
}

TEST(BuildMessageTest, RefusesHeaderInjection) {
  const std::string_view subjects[] = {"Hi\r\nBcc: victim@example.com", "Hi\nBcc: x@y.z", "Hi\rX", "a\tb",
                                       std::string_view("a\0b", 3)};
  for (std::string_view subject : subjects) {
    Result<std::string> text = BuildMessage(Message{"ann@example.com", std::string(subject), "b"},
                                            TestEnvelope());
    ASSERT_FALSE(text) << subject;
    EXPECT_EQ(text.error().code, ErrorCode::kInvalidArgument);
    EXPECT_TRUE(text.error().message.starts_with("subject contains")) << text.error().message;
  }
  for (std::string_view to :
       {"ann@example.com\r\nBcc: x@y.z", "ann@example.com>, <eve@evil.test", "Ann <ann@example.com>", "ann",
        "ann@@example.com", "ann @example.com", "ann@exa mple.com", "", "ann@example.com\n"}) {
    Result<std::string> text = BuildMessage(Message{std::string(to), "s", "b"}, TestEnvelope());
    ASSERT_FALSE(text) << to;
    EXPECT_EQ(text.error().code, ErrorCode::kInvalidArgument);
    EXPECT_TRUE(text.error().message.starts_with("recipient address must be a plain address"))
        << text.error().message;
  }
  Envelope bad_name = TestEnvelope();
  bad_name.from_name = "x\r\nBcc: a@b.c";
  EXPECT_FALSE(BuildMessage(Message{"ann@example.com", "s", "b"}, bad_name));
}

TEST(BuildMessageTest, EncodesNonAsciiSubjectAndNameAsEncodedWords) {
  Envelope envelope = TestEnvelope();
  envelope.from_name = "Zoë";
  Result<std::string> text = BuildMessage(Message{"ann@example.com", "Réinitialiser le mot de passe", "b"},
                                          envelope);
  ASSERT_TRUE(text);
  EXPECT_NE(text->find("From: =?UTF-8?B?Wm/Dqw==?= <noreply@maskfleet.test>\r\n"), std::string::npos)
      << *text;
  EXPECT_NE(text->find("Subject: =?UTF-8?B?UsOpaW5pdGlhbGlzZXIgbGUgbW90IGRlIHBhc3Nl?=\r\n"), std::string::npos)
      << *text;
}

TEST(BuildMessageTest, LongNonAsciiSubjectIsFoldedIntoShortEncodedWords) {
  std::string subject;
  for (int i = 0; i < 40; ++i) subject += "é";
  Result<std::string> text = BuildMessage(Message{"ann@example.com", subject, "b"}, TestEnvelope());
  ASSERT_TRUE(text);
  const std::size_t start = text->find("Subject: ");
  const std::size_t end = text->find("\r\nMessage-ID");
  const std::string header = text->substr(start, end - start);
  EXPECT_NE(header.find("?=\r\n =?UTF-8?B?"), std::string::npos) << header;
  std::size_t line_start = 0;
  while (line_start < header.size()) {
    std::size_t line_end = header.find("\r\n", line_start);
    if (line_end == std::string::npos) line_end = header.size();
    EXPECT_LE(line_end - line_start, 85u);
    line_start = line_end + 2;
  }
}

TEST(BuildMessageTest, NonAsciiBodyIsQuotedPrintable) {
  Result<std::string> text = BuildMessage(Message{"ann@example.com", "s", "Grüße, a=b \nline2"},
                                          TestEnvelope());
  ASSERT_TRUE(text);
  EXPECT_NE(text->find("Content-Transfer-Encoding: quoted-printable\r\n"), std::string::npos);
  EXPECT_NE(text->find("\r\n\r\nGr=C3=BC=C3=9Fe, a=3Db=20\r\nline2\r\n"), std::string::npos) << *text;
}

TEST(BuildMessageTest, OverlongBodyLinesAreSoftWrapped) {
  const std::string line(2000, 'a');
  Result<std::string> text = BuildMessage(Message{"ann@example.com", "s", line}, TestEnvelope());
  ASSERT_TRUE(text);
  EXPECT_NE(text->find("quoted-printable"), std::string::npos);
  const std::string body = text->substr(text->find("\r\n\r\n") + 4);
  std::size_t start = 0;
  std::size_t letters = 0;
  while (start < body.size()) {
    const std::size_t end = body.find("\r\n", start);
    ASSERT_NE(end, std::string::npos);
    EXPECT_LE(end - start, 76u);
    for (std::size_t i = start; i < end; ++i) letters += body[i] == 'a';
    start = end + 2;
  }
  EXPECT_EQ(letters, 2000u);
}

TEST(BuildMessageTest, RefusesBodiesThatAreNotUtf8) {
  EXPECT_FALSE(BuildMessage(Message{"ann@example.com", "s", "bad \xff byte"}, TestEnvelope()));
  EXPECT_FALSE(BuildMessage(Message{"ann@example.com", "s", "overlong \xc0\xaf"}, TestEnvelope()));
  EXPECT_FALSE(BuildMessage(Message{"ann@example.com", "s", std::string("nul\0", 4)}, TestEnvelope()));
  EXPECT_FALSE(BuildMessage(Message{"ann@example.com", "bad \xed\xa0\x80", "b"}, TestEnvelope()));
}

TEST(BuildMessageTest, GeneratesAMessageIdAtTheSendersDomain) {
  Envelope envelope = TestEnvelope();
  envelope.message_id.clear();
  Result<std::string> a = BuildMessage(Message{"ann@example.com", "s", "b"}, envelope);
  Result<std::string> b = BuildMessage(Message{"ann@example.com", "s", "b"}, envelope);
  ASSERT_TRUE(a && b);
  const std::size_t at = a->find("Message-ID: <");
  ASSERT_NE(at, std::string::npos);
  EXPECT_EQ(a->substr(at + 13 + 32, 18), "@maskfleet.test>\r\n");
  EXPECT_NE(*a, *b);
}

TEST(FormatDateTest, Rfc5322) {
  EXPECT_EQ(FormatDate(Clock::TimePoint{}), "Thu, 01 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(FormatDate(kDate), "Fri, 27 Nov 2026 20:25:35 +0000");
}

TEST(FakeMailerTest, RecordsAndFailsOnDemand) {
  FakeMailer mailer;
  ASSERT_TRUE(mailer.Send(Message{"ann@example.com", "s", "b"}));
  EXPECT_FALSE(mailer.Send(Message{"ann@example.com", "s\nBcc: x@y.z", "b"}));
  mailer.FailNextSends(1, Error{ErrorCode::kUnavailable, "down"});
  EXPECT_FALSE(mailer.Send(Message{"bob@example.com", "s", "b"}));
  ASSERT_TRUE(mailer.Send(Message{"bob@example.com", "s", "b"}));
  ASSERT_EQ(mailer.sent().size(), 2u);
  EXPECT_EQ(mailer.sent()[1].to, "bob@example.com");
}

}  // namespace
}  // namespace maskfleet::mail
