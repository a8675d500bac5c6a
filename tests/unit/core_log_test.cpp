#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <regex>
#include <sstream>
#include <thread>
#include <vector>

#include "core/log.h"

using namespace zenith;
using ::testing::HasSubstr;

namespace {

class CoreLog : public ::testing::Test {
protected:
    void SetUp() override
    {
        log::setStderrOnly(true);
        log::setDebug(false);
        prefix_ = "zenith-provisionerd[" + std::to_string(::getpid()) + "]: ";
    }
    void TearDown() override
    {
        log::setStderrOnly(false);
        log::setDebug(false);
    }
    std::string prefix_;
};

TEST_F(CoreLog, StderrLineNamesUidMachineAndJob)
{
    testing::internal::CaptureStderr();
    log::info({.uid = 1000, .machine = "web1", .job = 7}, "created {} in {} ms", "web1", 42);
    std::string out = testing::internal::GetCapturedStderr();
    EXPECT_EQ(out, prefix_ + "info: created web1 in 42 ms (uid=1000 machine=web1 job=7)\n");
}

TEST_F(CoreLog, OmitsAbsentFieldsAndNamesTheLevel)
{
    testing::internal::CaptureStderr();
    log::error({}, "boom");
    log::warning({.machine = "db"}, "slow");
    log::info({.uid = 0}, "root");
    log::info({.job = 3}, "job only");
    std::string out = testing::internal::GetCapturedStderr();
    EXPECT_EQ(out, prefix_ + "error: boom\n" + prefix_ + "warning: slow (machine=db)\n" + prefix_ +
                       "info: root (uid=0)\n" + prefix_ + "info: job only (job=3)\n");
}

TEST_F(CoreLog, DebugOnlyWhenEnabled)
{
    testing::internal::CaptureStderr();
    log::debug({}, "hidden");
    log::setDebug(true);
    EXPECT_TRUE(log::debugEnabled());
    log::debug({}, "shown");
    std::string out = testing::internal::GetCapturedStderr();
    EXPECT_EQ(out, prefix_ + "debug: shown\n");
}

TEST_F(CoreLog, AMessageCannotForgeASecondLine)
{
    testing::internal::CaptureStderr();
    log::info({.machine = "a\nb"}, "first\nzenith-provisionerd[1]: error: forged");
    std::string out = testing::internal::GetCapturedStderr();
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1);
    EXPECT_THAT(out, HasSubstr("first\\x0azenith-provisionerd[1]"));
    EXPECT_THAT(out, HasSubstr("machine=a\\x0ab"));
}

// A caller's megabyte-long name or message cannot make a megabyte-long log
// line, and bytes that are not UTF-8 are escaped (the journal would show the
// whole message as a blob).
TEST_F(CoreLog, LinesAreBoundedAndValidUtf8)
{
    testing::internal::CaptureStderr();
    log::info({.machine = std::string(1 << 20, 'm')}, "name {} {}", "\xff", std::string(1 << 20, 'n'));
    std::string out = testing::internal::GetCapturedStderr();
    EXPECT_LT(out.size(), 5000u);
    EXPECT_THAT(out, HasSubstr("\\xff"));
    EXPECT_EQ(out.find('\xff'), std::string::npos);
    EXPECT_THAT(out, HasSubstr("machine=mmm"));
}

TEST_F(CoreLog, ConcurrentWritersNeverInterleave)
{
    testing::internal::CaptureStderr();
    std::vector<std::thread> threads;
    for (uint32_t t = 0; t < 8; ++t)
        threads.emplace_back([t] {
            for (uint32_t i = 0; i < 200; ++i)
                log::info({.uid = t, .machine = "m" + std::to_string(t), .job = i}, "thread {} line {} {}", t, i,
                          std::string(64, 'x'));
        });
    for (auto& th : threads)
        th.join();
    std::string out = testing::internal::GetCapturedStderr();
    std::istringstream in(out);
    std::regex line(R"(zenith-provisionerd\[\d+\]: info: thread (\d) line (\d+) x{64} \(uid=\1 machine=m\1 job=\2\))");
    size_t count = 0;
    for (std::string l; std::getline(in, l); ++count)
        ASSERT_TRUE(std::regex_match(l, line)) << l;
    EXPECT_EQ(count, 8u * 200u);
}

}  // namespace
