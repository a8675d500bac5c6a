// zenithctl output: exit codes, JSON events, the progress bar, plain lines
// and tables, as the user (or a panel parsing stdout) sees them.
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "exit_codes.h"
#include "json_events.h"
#include "output.h"
#include "progress_bar.h"
#include "tables.h"

namespace {

using zenith::client::ErrorKind;
using zenith::client::JobOutcome;
using zenith::client::JobProgress;
using zenith::client::JobResult;
using zenithctl::ExitCode;
using zenithctl::exitCodeFor;

TEST(ClientCliExitCodes, EveryKindHasItsCode)
{
    const std::pair<ErrorKind, ExitCode> expected[] = {
        {ErrorKind::InvalidArgs, ExitCode::BadInput},
        {ErrorKind::AccessDenied, ExitCode::Denied},
        {ErrorKind::InteractiveAuthorizationRequired, ExitCode::Denied},
        {ErrorKind::NoSuchMachine, ExitCode::NotFound},
        {ErrorKind::NoSuchJob, ExitCode::NotFound},
        {ErrorKind::NoSuchImage, ExitCode::NotFound},
        {ErrorKind::Cancelled, ExitCode::Cancelled},
        {ErrorKind::Busy, ExitCode::Conflict},
        {ErrorKind::LimitsExceeded, ExitCode::Conflict},
        {ErrorKind::MachineExists, ExitCode::Conflict},
        {ErrorKind::NotCancelable, ExitCode::Conflict},
        {ErrorKind::Disconnected, ExitCode::Unavailable},
        {ErrorKind::Timeout, ExitCode::Unavailable},
        {ErrorKind::BackendUnavailable, ExitCode::Unavailable},
        {ErrorKind::AddressExhausted, ExitCode::Failed},
        {ErrorKind::BackendFailed, ExitCode::Failed},
        {ErrorKind::Other, ExitCode::Failed},
    };
    for (const auto& [kind, code] : expected)
        EXPECT_EQ(exitCodeFor(kind), code) << zenith::client::errorKindName(kind);
    EXPECT_EQ(zenithctl::toInt(ExitCode::BadInput), 2);
    EXPECT_EQ(zenithctl::toInt(ExitCode::Denied), 3);
    EXPECT_EQ(zenithctl::toInt(ExitCode::Unavailable), 7);
    // Every code is documented in --help.
    for (int code = 0; code <= 7; ++code)
        EXPECT_NE(zenithctl::exitCodeHelp().find("  " + std::to_string(code) + "  "), std::string_view::npos) << code;
}

TEST(ClientCliExitCodes, JobOutcomes)
{
    JobResult r;
    r.outcome = JobOutcome::Done;
    EXPECT_EQ(exitCodeFor(r), ExitCode::Ok);
    r.outcome = JobOutcome::Cancelled;
    EXPECT_EQ(exitCodeFor(r), ExitCode::Cancelled);
    r.outcome = JobOutcome::Failed;
    r.errorKind = ErrorKind::NoSuchImage;  // a job that ran and failed is "failed", whatever the reason
    EXPECT_EQ(exitCodeFor(r), ExitCode::Failed);
}

TEST(ClientCliJson, ProgressEvent)
{
    auto j = zenithctl::progressEvent(7, JobProgress{0.42, "base-image", "Retrieving packages"});
    EXPECT_EQ(j.dump(),
              R"({"event":"progress","job":7,"message":"Retrieving packages","progress":0.42,"step":"base-image"})");
}

TEST(ClientCliJson, ResultEventCarriesErrorAndExitCode)
{
    JobResult r;
    r.id = 7;
    r.operation = "create";
    r.machine = "web1";
    r.outcome = JobOutcome::Failed;
    r.result = "failed";
    r.errorName = "org.zenith.Provisioner.Error.BackendFailed";
    r.errorMessage = "debootstrap exited with status 1";
    auto j = zenithctl::resultEvent(r);
    EXPECT_EQ(j["event"], "result");
    EXPECT_EQ(j["job"], 7);
    EXPECT_EQ(j["machine"], "web1");
    EXPECT_EQ(j["result"], "failed");
    EXPECT_EQ(j["error_name"], "org.zenith.Provisioner.Error.BackendFailed");
    EXPECT_EQ(j["exit_code"], 1);
    // A single line, so that JSON-lines readers can split on '\n'.
    EXPECT_EQ(j.dump().find('\n'), std::string::npos);
}

TEST(ClientCliJson, ErrorAndSubmittedEvents)
{
    auto e = zenithctl::errorEvent(zenith::client::Error{ErrorKind::AccessDenied,
                                                         "org.freedesktop.DBus.Error.AccessDenied", "not allowed"});
    EXPECT_EQ(e["kind"], "AccessDenied");
    EXPECT_EQ(e["exit_code"], 3);
    auto s = zenithctl::submittedEvent(7, "/org/zenith/Provisioner/job/7", "create", "web1",
                                       "/org/zenith/Provisioner/machine/web1");
    EXPECT_EQ(s["event"], "submitted");
    EXPECT_EQ(s["machine_path"], "/org/zenith/Provisioner/machine/web1");
    EXPECT_FALSE(zenithctl::submittedEvent(8, "/p", "destroy", "web1", "").contains("machine_path"));
}

TEST(ClientCliProgressBar, Percent)
{
    EXPECT_EQ(zenithctl::percentOf(0.0), 0);
    EXPECT_EQ(zenithctl::percentOf(0.29), 29);  // 0.29 * 100 is 28.999999999999996
    EXPECT_EQ(zenithctl::percentOf(0.999), 99);
    EXPECT_EQ(zenithctl::percentOf(1.0), 100);
    EXPECT_EQ(zenithctl::percentOf(1.5), 100);
    EXPECT_EQ(zenithctl::percentOf(-0.1), 0);
}

TEST(ClientCliProgressBar, WideTerminal)
{
    EXPECT_EQ(zenithctl::renderProgressBar({0.42, "base-image", "Retrieving packages"}, 80),
              "[########------------]  42% base-image Retrieving packages");
    EXPECT_EQ(zenithctl::renderProgressBar({1.0, "start", ""}, 80), "[####################] 100% start");
}

TEST(ClientCliProgressBar, NarrowTerminalsShrinkTheBarThenTruncate)
{
    EXPECT_EQ(zenithctl::renderProgressBar({0.5, "clone", "x"}, 40), "[#####-----]  50% clone x");
    EXPECT_EQ(zenithctl::renderProgressBar({0.5, "clone", "x"}, 20), " 50% clone x");
    auto cut = zenithctl::renderProgressBar({0.42, "base-image", "Retrieving packages from the mirror"}, 30);
    EXPECT_EQ(cut, " 42% base-image Retrieving pa…");
    EXPECT_EQ(zenithctl::displayWidth(cut), 30u);
}

TEST(ClientCliProgressBar, NeverSplitsUtf8AndStripsControlCharacters)
{
    auto line = zenithctl::renderProgressBar({0.1, "", "Größe\rälter\nüber alles"}, 14);
    EXPECT_EQ(line, " 10% Größe äl…");
    EXPECT_EQ(zenithctl::displayWidth(line), 14u);
    EXPECT_EQ(line.find('\r'), std::string::npos);
}

TEST(ClientCliProgressBar, PlainLine)
{
    EXPECT_EQ(zenithctl::plainProgressLine({0.42, "base-image", "Retrieving packages"}),
              "progress 42% base-image Retrieving packages");
    EXPECT_EQ(zenithctl::plainProgressLine({0.0, "", ""}), "progress 0%");
    EXPECT_EQ(zenithctl::plainProgressLine({0.5, "", "a\nb"}), "progress 50% a b");
}

TEST(ClientCliOutput, TerminalBarIsClearedBeforeTheResult)
{
    std::ostringstream out, err;
    zenithctl::Output o(zenithctl::OutputMode::Terminal, false, out, err, 61);
    o.progress(7, {0.5, "clone", "Copying"});
    JobResult r;
    r.operation = "create";
    r.machine = "web1";
    r.result = "done";
    EXPECT_EQ(o.result(r), ExitCode::Ok);
    EXPECT_EQ(out.str(), "\r[##########----------]  50% clone Copying\033[K\r\033[Kcreate web1: done\n");
    EXPECT_EQ(err.str(), "");
}

TEST(ClientCliOutput, PlainAndJsonModes)
{
    std::ostringstream out, err;
    zenithctl::Output plain(zenithctl::OutputMode::Plain, false, out, err);
    plain.submitted(7, "/org/zenith/Provisioner/job/7", "create", "web1", "");
    plain.progress(7, {0.42, "base-image", "Retrieving packages"});
    JobResult failed;
    failed.operation = "create";
    failed.machine = "web1";
    failed.outcome = JobOutcome::Failed;
    failed.errorName = "org.zenith.Provisioner.Error.BackendFailed";
    failed.errorMessage = "boom";
    EXPECT_EQ(plain.result(failed), ExitCode::Failed);
    EXPECT_EQ(out.str(), "job 7 create web1 /org/zenith/Provisioner/job/7\nprogress 42% base-image Retrieving packages\n");
    EXPECT_EQ(err.str(), "zenithctl: create web1 failed: boom [org.zenith.Provisioner.Error.BackendFailed]\n");

    std::ostringstream jout, jerr;
    zenithctl::Output json(zenithctl::OutputMode::Json, true, jout, jerr);
    json.progress(7, {0.5, "s", "m"});
    EXPECT_EQ(json.error({ErrorKind::Busy, "org.zenith.Provisioner.Error.Busy", "locked"}), ExitCode::Conflict);
    std::istringstream lines(jout.str());
    std::string line;
    std::vector<nlohmann::json> events;
    while (std::getline(lines, line))
        events.push_back(nlohmann::json::parse(line));
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0]["event"], "progress");
    EXPECT_EQ(events[1]["event"], "error");
    EXPECT_EQ(jerr.str(), "");
}

TEST(ClientCliOutput, QuietPlainPrintsOnlyFailures)
{
    std::ostringstream out, err;
    zenithctl::Output quiet(zenithctl::OutputMode::Plain, true, out, err);
    quiet.submitted(7, "/p", "start", "web1", "");
    quiet.progress(7, {0.5, "s", "m"});
    JobResult done;
    done.operation = "start";
    EXPECT_EQ(quiet.result(done), ExitCode::Ok);
    EXPECT_EQ(out.str(), "");
}

TEST(ClientCliTables, AlignsColumnsAndMarksEmptyCells)
{
    EXPECT_EQ(zenithctl::formatTable({"NAME", "STATE", "ADDRESS"},
                                     {{"web1", "running", "10.1.10.91"}, {"database-01", "stopped", ""}}),
              "NAME         STATE    ADDRESS\n"
              "web1         running  10.1.10.91\n"
              "database-01  stopped  -\n");
    EXPECT_EQ(zenithctl::formatTable({"ID"}, {}), "ID\n");
}

}  // namespace
