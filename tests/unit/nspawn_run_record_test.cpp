#include <unistd.h>

#include <gtest/gtest.h>

#include "drivers/nspawn/run_record.h"

using namespace zenith::drivers::nspawn;

TEST(NspawnRunRecord, RoundTrip)
{
    RunRecord r{4242, 987654321};
    EXPECT_EQ(formatRunRecord(r), "4242 987654321\n");
    EXPECT_EQ(parseRunRecord(formatRunRecord(r)), r);
    EXPECT_EQ(parseRunRecord(""), std::nullopt);
    EXPECT_EQ(parseRunRecord("1 5\n"), std::nullopt);  // never adopt init
    EXPECT_EQ(parseRunRecord("abc 5\n"), std::nullopt);
}

TEST(NspawnRunRecord, StartTimeSurvivesHostileCommandNames)
{
    std::string stat = "123 (evil) 1 2 3) S 1 123 123 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 55555 1000 10";
    EXPECT_EQ(startTimeFromStat(stat), 55555u);
    EXPECT_EQ(startTimeFromStat("123 (x) S 1"), std::nullopt);
}

TEST(NspawnRunRecord, OurOwnProcessIsAliveOnlyWithItsStartTime)
{
    auto st = processStartTime(::getpid());
    ASSERT_TRUE(st);
    EXPECT_TRUE(isAlive({::getpid(), *st}));
    EXPECT_FALSE(isAlive({::getpid(), *st + 1}));  // a reused pid is not ours
}

TEST(NspawnRunRecord, CommandLineNamesTheMachineAndItsTree)
{
    using zenith::drivers::nspawn::isNspawnFor;
    using namespace std::string_literals;
    const std::string argv = "systemd-nspawn\0--boot\0--keep-unit\0--register=no\0--quiet\0"
                             "--directory=/var/lib/machines/web1\0--machine=web1\0--settings=trusted\0"s;
    EXPECT_TRUE(isNspawnFor(argv, "web1", "/var/lib/machines/web1"));
    EXPECT_TRUE(isNspawnFor("/usr/bin/" + argv, "web1", "/var/lib/machines/web1"));
    // Another machine, another tree, a prefix of the name, or another program.
    EXPECT_FALSE(isNspawnFor(argv, "web2", "/var/lib/machines/web1"));
    EXPECT_FALSE(isNspawnFor(argv, "web1", "/srv/machines/web1"));
    EXPECT_FALSE(isNspawnFor(argv, "web", "/var/lib/machines/web"));
    EXPECT_FALSE(isNspawnFor("vim\0--machine=web1\0--directory=/var/lib/machines/web1\0"s, "web1",
                             "/var/lib/machines/web1"));
    EXPECT_FALSE(isNspawnFor("", "web1", "/var/lib/machines/web1"));
}
