// zenithctl's command line as a whole (no bus needed): --help on every
// command, and usage errors as exit code 2 - with a JSON error event on
// stdout when --json was asked for, wherever it stands on the line.
#include <gtest/gtest.h>

#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app.h"

namespace {

struct Ran {
    int code;
    std::string out, err;
};

Ran runCli(std::vector<std::string> args)
{
    args.insert(args.begin(), "zenithctl");
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    std::ostringstream out, err;
    auto* savedOut = std::cout.rdbuf(out.rdbuf());
    auto* savedErr = std::cerr.rdbuf(err.rdbuf());
    int code = zenithctl::run(static_cast<int>(args.size()), argv.data());
    std::cout.rdbuf(savedOut);
    std::cerr.rdbuf(savedErr);
    return {code, out.str(), err.str()};
}

nlohmann::json lastLine(const std::string& text)
{
    auto end = text.find_last_not_of('\n');
    if (end == std::string::npos)
        return {};
    auto begin = text.rfind('\n', end);
    begin = begin == std::string::npos ? 0 : begin + 1;
    return nlohmann::json::parse(text.substr(begin, end + 1 - begin), nullptr, false);
}

class EveryCommand : public ::testing::TestWithParam<const char*> {};

TEST_P(EveryCommand, HelpExitsZeroAndDescribesIt)
{
    auto r = runCli({GetParam(), "--help"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find(GetParam()), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Exit codes"), std::string::npos) << r.out;
}

INSTANTIATE_TEST_SUITE_P(Zenithctl, EveryCommand,
                         ::testing::Values("create", "clone", "cloudpod", "destroy", "start", "stop", "template", "list", "show",
                                           "jobs", "cancel", "images", "pools", "leases", "next-ip", "bridges", "forward", "unforward", "forwards", "backup", "nodes", "storages", "isos",
                                           "templates", "health", "backups"));

TEST(ZenithctlUsage, TopLevelHelpListsEveryCommand)
{
    auto r = runCli({"--help"});
    EXPECT_EQ(r.code, 0);
    for (const char* c : {"create", "clone", "cloudpod", "destroy", "start", "stop", "template", "list", "show", "jobs", "cancel",
                          "images", "backup", "nodes", "storages", "isos", "templates", "health", "backups"})
        EXPECT_NE(r.out.find(c), std::string::npos) << c;
}

TEST(ZenithctlUsage, UnknownOptionIsBadInputInPlainText)
{
    auto r = runCli({"create", "web1", "--no-such-option"});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("--no-such-option"), std::string::npos) << r.err;
    EXPECT_EQ(r.out.find("\"event\""), std::string::npos) << r.out;  // no JSON unless asked
}

TEST(ZenithctlUsage, WithJsonAUsageErrorIsAnErrorEvent)
{
    // --json before the mistake and after it: a panel reads the same event.
    for (auto args : {std::vector<std::string>{"--json", "create", "web1", "--no-such-option"},
                      std::vector<std::string>{"create", "--no-such-option", "web1", "--json"},
                      std::vector<std::string>{"--json", "cancel", "not-a-number"}}) {
        auto r = runCli(args);
        EXPECT_EQ(r.code, 2);
        auto event = lastLine(r.out);
        ASSERT_TRUE(event.is_object()) << r.out;
        EXPECT_EQ(event["event"], "error");
        EXPECT_EQ(event["kind"], "InvalidArgs");
        EXPECT_EQ(event["error_name"], "org.freedesktop.DBus.Error.InvalidArgs");
        EXPECT_EQ(event["exit_code"], 2);
        EXPECT_FALSE(event.value("error_message", "").empty());
    }
}

TEST(ZenithctlUsage, BackupOptionsAreCheckedBeforeAnyCall)
{
    // A mode vzdump does not know, a backups listing without its machine,
    // --backup-first on a command other than destroy: usage errors, exit 2.
    for (auto args : {std::vector<std::string>{"--json", "backup", "web1", "--mode", "fast"},
                      std::vector<std::string>{"--json", "backups"},
                      std::vector<std::string>{"--json", "stop", "web1", "--backup-first"}}) {
        auto r = runCli(args);
        EXPECT_EQ(r.code, 2) << args[1];
        EXPECT_EQ(lastLine(r.out).value("kind", ""), "InvalidArgs") << r.out;
    }
    auto help = runCli({"destroy", "--help"});
    EXPECT_NE(help.out.find("--backup-first"), std::string::npos) << help.out;
    help = runCli({"backup", "--help"});
    for (const char* option : {"--storage", "--mode", "--dry-run"})
        EXPECT_NE(help.out.find(option), std::string::npos) << option;
}

TEST(ZenithctlUsage, PasswordHashNeverOnTheCommandLine)
{
    auto option = runCli({"--json", "create", "web1", "--password-hash", "$y$j9T$salt$hash"});
    EXPECT_EQ(option.code, 2);  // no such option: the hash comes from a file
    auto set = runCli({"--json", "create", "web1", "--set", "password_hash=$y$j9T$salt$hash"});
    EXPECT_EQ(set.code, 2);
    EXPECT_NE(lastLine(set.out).value("error_message", "").find("--password-hash-file"), std::string::npos)
        << set.out;
}

}  // namespace
